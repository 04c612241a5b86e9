package core

import (
	"github.com/drone/drone-go/drone"

	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/services/core/view"
)

// This file is the one mapper between the domain types and the two wire
// shapes: drone-go's types (what extensions receive, §2 "toRepo"/"toBuild")
// and the server's core types (webhooks and Hangar's API, §3.2).

// toDroneRepo copies the fields the Drone server sends to extensions.
func toDroneRepo(r *model.Repo) drone.Repo {
	return drone.Repo{
		ID: r.ID, UID: r.UID, Namespace: r.Namespace, Name: r.Name, Slug: r.Slug, SCM: r.SCM,
		HTTPURL: r.HTTPURL, SSHURL: r.SSHURL, Link: r.Link, Branch: r.Branch, Private: r.Private,
		Visibility: r.Visibility, Active: r.Active, Config: r.Config, Trusted: r.Trusted,
		Protected: r.Protected, Timeout: r.Timeout,
	}
}

// toDroneBuild copies a build as Drone's toBuild does: cron, deploy id,
// debug and stages are never sent.
func toDroneBuild(b *model.Build) drone.Build {
	return drone.Build{
		ID: b.ID, RepoID: b.RepoID, Trigger: b.Trigger, Number: b.Number, Parent: b.Parent,
		Status: b.Status, Error: b.Error, Event: b.Event, Action: b.Action, Link: b.Link,
		Timestamp: b.Timestamp, Title: b.Title, Message: b.Message, Before: b.Before, After: b.After,
		Ref: b.Ref, Fork: b.Fork, Source: b.Source, Target: b.Target, Author: b.Author,
		AuthorName: b.AuthorName, AuthorEmail: b.AuthorEmail, AuthorAvatar: b.AuthorAvatar,
		Sender: b.Sender, Params: b.Params, Deploy: b.Deploy, Started: b.Started,
		Finished: b.Finished, Created: b.Created, Updated: b.Updated, Version: b.Version,
	}
}

// The API's and webhooks' shapes live in package view.
var (
	toWireRepo  = view.Repo
	toWireBuild = view.Build
	toWireStage = view.Stage
)

// buildFromHook starts a build from a hook (§4.2 steps 5 and 17).
func buildFromHook(repo *model.Repo, h *model.Hook, now int64) *model.Build {
	return &model.Build{
		RepoID: repo.ID, Trigger: h.Trigger, Parent: h.Parent, Status: model.StatusPending,
		Event: h.Event, Action: h.Action, Link: h.Link, Title: truncRunes(h.Title, 2000),
		Message: truncRunes(h.Message, 2000), Before: h.Before, After: h.After, Ref: h.Ref,
		Fork: h.Fork, Source: h.Source, Target: h.Target, Author: h.Author, AuthorName: h.AuthorName,
		AuthorEmail: h.AuthorEmail, AuthorAvatar: h.AuthorAvatar, Sender: h.Sender, Params: h.Params,
		Cron: h.Cron, Deploy: h.Deployment, DeployID: h.DeploymentID, Debug: h.Debug,
		Created: now, Updated: now,
	}
}

func truncRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
