// Package view maps the core server's domain types to the Drone server's
// core types as they are serialised (drone-protocol.md §3.2): what the
// REST API answers, webhooks carry and runners receive.
package view

import (
	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/shared/wire"
)

// Repo is the repository as webhooks and the API show it.
func Repo(r *model.Repo) *wire.Repository {
	return &wire.Repository{
		ID: r.ID, UID: r.UID, Namespace: r.Namespace, Name: r.Name, Slug: r.Slug, SCM: r.SCM,
		HTTPURL: r.HTTPURL, SSHURL: r.SSHURL, Link: r.Link, Branch: r.Branch, Private: r.Private,
		Visibility: r.Visibility, Active: r.Active, Config: r.Config, Trusted: r.Trusted,
		Protected: r.Protected, IgnoreForks: r.IgnoreForks, IgnorePulls: r.IgnorePulls,
		CancelPulls: r.CancelPulls, CancelPush: r.CancelPush, Timeout: r.Timeout, Throttle: r.Throttle,
		Counter: r.Counter, Created: r.Created, Updated: r.Updated, Version: r.Version,
	}
}

// Build is the build as webhooks and the API show it, with stages
// when given.
func Build(b *model.Build, stages []*model.Stage) *wire.Build {
	w := &wire.Build{
		ID: b.ID, RepoID: b.RepoID, Trigger: b.Trigger, Number: b.Number, Parent: b.Parent,
		Status: b.Status, Error: b.Error, Event: b.Event, Action: b.Action, Link: b.Link,
		Timestamp: b.Timestamp, Title: b.Title, Message: b.Message, Before: b.Before, After: b.After,
		Ref: b.Ref, Fork: b.Fork, Source: b.Source, Target: b.Target, Author: b.Author,
		AuthorName: b.AuthorName, AuthorEmail: b.AuthorEmail, AuthorAvatar: b.AuthorAvatar,
		Sender: b.Sender, Params: b.Params, Cron: b.Cron, Deploy: b.Deploy, DeployID: b.DeployID,
		Debug: b.Debug, Started: b.Started, Finished: b.Finished, Created: b.Created,
		Updated: b.Updated, Version: b.Version,
	}
	for _, s := range stages {
		w.Stages = append(w.Stages, Stage(s))
	}
	return w
}

// Stage is the stage as the API, webhooks and runners see it.
func Stage(s *model.Stage) *wire.Stage {
	return &wire.Stage{
		ID: s.ID, RepoID: s.RepoID, BuildID: s.BuildID, Number: s.Number, Name: s.Name, Kind: s.Kind,
		Type: s.Type, Status: s.Status, Error: s.Error, ErrIgnore: s.ErrIgnore, ExitCode: s.ExitCode,
		Machine: s.Machine, OS: s.OS, Arch: s.Arch, Variant: s.Variant, Kernel: s.Kernel, Limit: s.Limit,
		LimitRepo: s.LimitRepo, Started: s.Started, Stopped: s.Stopped, Created: s.Created,
		Updated: s.Updated, Version: s.Version, OnSuccess: s.OnSuccess, OnFailure: s.OnFailure,
		DependsOn: s.DependsOn, Labels: s.Labels,
	}
}

// Step is the step as the API and runners see it.
func Step(s *model.Step) *wire.Step {
	return &wire.Step{
		ID: s.ID, StageID: s.StageID, Number: s.Number, Name: s.Name, Status: s.Status, Error: s.Error,
		ErrIgnore: s.ErrIgnore, ExitCode: s.ExitCode, Started: s.Started, Stopped: s.Stopped, Version: s.Version,
	}
}

// BuildSteps is Build with each stage's steps attached, as Drone's
// GET /api/repos/{owner}/{name}/builds/{number} answers.
func BuildSteps(b *model.Build, stages []*model.Stage, steps []*model.Step) *wire.Build {
	w := Build(b, stages)
	for _, ws := range w.Stages {
		ws.Steps = StepsOf(ws.ID, steps)
	}
	return w
}

// StepsOf returns the steps of stage stageID.
func StepsOf(stageID int64, steps []*model.Step) []*wire.Step {
	var out []*wire.Step
	for _, s := range steps {
		if s.StageID == stageID {
			out = append(out, Step(s))
		}
	}
	return out
}
