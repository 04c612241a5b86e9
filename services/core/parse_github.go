package core

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/go-github/v84/github"

	"github.com/hangar-ci/hangar/services/core/model"
)

// parseGitHub maps a GitHub webhook to a hook as go-scm and the Drone
// server do (§4.1).
func parseGitHub(event string, body []byte) (parsed, error) {
	switch event {
	case "push":
		var e github.PushEvent
		if err := decodeObject(body, &e); err != nil {
			return parsed{}, fmt.Errorf("GitHub push payload: %w", err)
		}
		return githubPush(&e)
	case "pull_request":
		var e github.PullRequestEvent
		if err := decodeObject(body, &e); err != nil {
			return parsed{}, fmt.Errorf("GitHub pull_request payload: %w", err)
		}
		return githubPull(&e)
	case "deployment":
		var e github.DeploymentEvent
		if err := decodeObject(body, &e); err != nil {
			return parsed{}, fmt.Errorf("GitHub deployment payload: %w", err)
		}
		return githubDeployment(&e)
	case "ping":
		return parsed{reason: "ping"}, nil
	}
	// Every other event (create and delete included: the push event
	// builds) is answered without decoding: GitHub adds kinds and fields
	// faster than any typed client follows.
	return parsed{reason: "GitHub event " + event + " is not built"}, nil
}

func githubPush(e *github.PushEvent) (parsed, error) {
	slug := e.GetRepo().GetFullName()
	if slug == "" {
		return parsed{}, fmt.Errorf("GitHub push payload: repository.full_name missing")
	}
	ref := e.GetRef()
	if e.GetDeleted() || zeroSHA(e.GetAfter()) {
		return parsed{slug: slug, reason: "deletion of " + ref + " is not built"}, nil
	}
	if ref == "" {
		return parsed{}, fmt.Errorf("GitHub push payload: ref missing")
	}
	h := &model.Hook{
		Trigger: "@hook",
		Event:   model.EventPush,
		Link:    e.GetCompare(),
		Before:  e.GetBefore(),
		After:   e.GetAfter(),
		Ref:     ref,
		Source:  trimRef(ref),
		Target:  trimRef(ref),
		Sender:  e.GetSender().GetLogin(),
	}
	if c := e.GetHeadCommit(); c != nil {
		h.Message = c.GetMessage()
		h.Author = c.GetAuthor().GetLogin() // the payload's "username"
		h.AuthorName = c.GetAuthor().GetName()
		h.AuthorEmail = c.GetAuthor().GetEmail()
		if c.GetURL() != "" {
			h.Link = c.GetURL()
		}
	}
	h.AuthorAvatar = e.GetSender().GetAvatarURL()
	if strings.HasPrefix(ref, "refs/tags/") {
		// A tag push: Drone's TagHook, action "create", no message (the
		// commit is fetched), target the trimmed base ref.
		h.Event, h.Action, h.Message = model.EventTag, "create", ""
		h.Source = trimRef(e.GetBaseRef())
		h.Target = h.Source
	}
	return parsed{slug: slug, hook: h}, nil
}

// githubActions are the pull request actions that build, with Drone's
// (go-scm's) names.
var githubActions = map[string]string{
	"opened":      "opened",
	"reopened":    "reopened",
	"synchronize": "synchronized",
}

func githubPull(e *github.PullRequestEvent) (parsed, error) {
	slug := e.GetRepo().GetFullName()
	pr := e.GetPullRequest()
	if slug == "" || pr == nil {
		return parsed{}, fmt.Errorf("GitHub pull_request payload: repository or pull_request missing")
	}
	action, ok := githubActions[e.GetAction()]
	if !ok {
		return parsed{slug: slug, reason: "pull request " + e.GetAction() + " is not built"}, nil
	}
	h := &model.Hook{
		Trigger:      "@hook",
		Event:        model.EventPullRequest,
		Action:       action,
		Link:         pr.GetHTMLURL(),
		Title:        pr.GetTitle(),
		Message:      pr.GetTitle(),
		Before:       pr.GetBase().GetSHA(),
		After:        pr.GetHead().GetSHA(),
		Ref:          fmt.Sprintf("refs/pull/%d/head", pr.GetNumber()),
		Fork:         pr.GetHead().GetRepo().GetFullName(),
		Source:       pr.GetHead().GetRef(),
		Target:       pr.GetBase().GetRef(),
		Author:       pr.GetUser().GetLogin(),
		AuthorAvatar: pr.GetUser().GetAvatarURL(),
		Sender:       e.GetSender().GetLogin(),
	}
	return parsed{slug: slug, hook: h}, nil
}

// githubDeployment maps a deployment to a promotion of the deployed ref to
// its environment, with the deployment's payload as build parameters.
func githubDeployment(e *github.DeploymentEvent) (parsed, error) {
	slug := e.GetRepo().GetFullName()
	d := e.GetDeployment()
	if slug == "" || d == nil || d.GetSHA() == "" {
		return parsed{}, fmt.Errorf("GitHub deployment payload: repository, deployment or sha missing")
	}
	ref := d.GetRef()
	path := ref
	switch {
	case ref == d.GetSHA():
		path = ""
	case !strings.HasPrefix(ref, "refs/"):
		path = "refs/heads/" + ref
	}
	h := &model.Hook{
		Trigger:      "@hook",
		Event:        model.EventPromote,
		Link:         d.GetURL(),
		Message:      d.GetDescription(),
		After:        d.GetSHA(),
		Ref:          path,
		Source:       trimRef(ref),
		Target:       trimRef(ref),
		Author:       e.GetSender().GetLogin(),
		AuthorAvatar: e.GetSender().GetAvatarURL(),
		Sender:       e.GetSender().GetLogin(),
		Deployment:   d.GetEnvironment(),
		DeploymentID: d.GetID(),
	}
	var params map[string]any
	if len(d.Payload) > 0 && json.Unmarshal(d.Payload, &params) == nil {
		for k, v := range params {
			if h.Params == nil {
				h.Params = map[string]string{}
			}
			h.Params[k] = fmt.Sprint(v)
		}
	}
	return parsed{slug: slug, hook: h}, nil
}
