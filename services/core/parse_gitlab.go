package core

import (
	"fmt"

	gitlab "gitlab.com/gitlab-org/api/client-go"

	"github.com/hangar-ci/hangar/services/core/model"
)

// parseGitLab maps a GitLab webhook to a hook as go-scm and the Drone
// server do (§4.1).
func parseGitLab(event string, body []byte) (parsed, error) {
	switch gitlab.EventType(event) {
	case gitlab.EventTypePush:
		var e gitlab.PushEvent
		if err := decodeObject(body, &e); err != nil {
			return parsed{}, fmt.Errorf("GitLab %s payload: %w", event, err)
		}
		return gitlabPush(&e)
	case gitlab.EventTypeTagPush:
		var e gitlab.TagEvent
		if err := decodeObject(body, &e); err != nil {
			return parsed{}, fmt.Errorf("GitLab %s payload: %w", event, err)
		}
		return gitlabTag(&e)
	case gitlab.EventTypeMergeRequest:
		var e gitlab.MergeEvent
		if err := decodeObject(body, &e); err != nil {
			return parsed{}, fmt.Errorf("GitLab %s payload: %w", event, err)
		}
		return gitlabMerge(&e)
	}
	// Other events are answered without decoding.
	return parsed{reason: "GitLab event " + event + " is not built"}, nil
}

func gitlabPush(e *gitlab.PushEvent) (parsed, error) {
	slug := e.Project.PathWithNamespace
	if slug == "" || e.Ref == "" {
		return parsed{}, fmt.Errorf("GitLab push payload: project.path_with_namespace or ref missing")
	}
	after := e.CheckoutSHA
	if after == "" {
		after = e.After
	}
	if zeroSHA(after) {
		return parsed{slug: slug, reason: "deletion of " + e.Ref + " is not built"}, nil
	}
	h := &model.Hook{
		Trigger:      "@hook",
		Event:        model.EventPush,
		Before:       e.Before,
		After:        after,
		Ref:          e.Ref,
		Source:       trimRef(e.Ref),
		Target:       trimRef(e.Ref),
		Author:       e.UserUsername,
		AuthorName:   e.UserName,
		AuthorEmail:  e.UserEmail,
		AuthorAvatar: e.UserAvatar,
		Sender:       e.UserUsername,
	}
	for _, c := range e.Commits {
		if c.ID == after {
			h.Message, h.Link = c.Message, c.URL
			h.AuthorName, h.AuthorEmail = c.Author.Name, c.Author.Email
		}
	}
	return parsed{slug: slug, hook: h}, nil
}

func gitlabTag(e *gitlab.TagEvent) (parsed, error) {
	slug := e.Project.PathWithNamespace
	if slug == "" || e.Ref == "" {
		return parsed{}, fmt.Errorf("GitLab tag payload: project.path_with_namespace or ref missing")
	}
	after := e.CheckoutSHA
	if after == "" {
		after = e.After
	}
	if zeroSHA(after) {
		return parsed{slug: slug, reason: "deletion of " + e.Ref + " is not built"}, nil
	}
	return parsed{slug: slug, hook: &model.Hook{
		Trigger:      "@hook",
		Event:        model.EventTag,
		Action:       "create",
		Before:       e.Before,
		After:        after,
		Ref:          e.Ref,
		Author:       e.UserUsername,
		AuthorName:   e.UserName,
		AuthorEmail:  e.UserEmail,
		AuthorAvatar: e.UserAvatar,
		Sender:       e.UserUsername,
	}}, nil
}

// gitlabActions are the merge request actions that build, with Drone's
// names; "update" builds only when it moved the branch (oldrev set).
var gitlabActions = map[string]string{
	"open":   "opened",
	"reopen": "reopened",
	"update": "synchronized",
}

func gitlabMerge(e *gitlab.MergeEvent) (parsed, error) {
	a := e.ObjectAttributes
	slug := e.Project.PathWithNamespace
	if slug == "" {
		return parsed{}, fmt.Errorf("GitLab merge request payload: project.path_with_namespace missing")
	}
	action, ok := gitlabActions[a.Action]
	if !ok || (a.Action == "update" && a.OldRev == "") {
		return parsed{slug: slug, reason: "merge request " + a.Action + " is not built"}, nil
	}
	h := &model.Hook{
		Trigger: "@hook",
		Event:   model.EventPullRequest,
		Action:  action,
		Link:    a.URL,
		Title:   a.Title,
		Message: a.Title,
		After:   a.LastCommit.ID,
		Ref:     fmt.Sprintf("refs/merge-requests/%d/head", a.IID),
		Source:  a.SourceBranch,
		Target:  a.TargetBranch,
	}
	if a.Source != nil {
		h.Fork = a.Source.PathWithNamespace
	}
	if e.User != nil {
		h.Author, h.AuthorName, h.AuthorEmail, h.AuthorAvatar = e.User.Username, e.User.Name, e.User.Email, e.User.AvatarURL
		h.Sender = e.User.Username
	}
	return parsed{slug: slug, hook: h}, nil
}
