package core

import (
	"context"
	"maps"
	"net/http"

	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/shared/httperr"
	"github.com/hangar-ci/hangar/shared/wire"
)

// hookFrom copies a stored build into a new hook, as Drone's retry and
// promote handlers do.
func hookFrom(b *model.Build) *model.Hook {
	return &model.Hook{
		Parent: b.Number, Trigger: "@api", Event: b.Event, Action: b.Action, Link: b.Link, Timestamp: b.Timestamp,
		Title: b.Title, Message: b.Message, Before: b.Before, After: b.After, Ref: b.Ref, Fork: b.Fork,
		Source: b.Source, Target: b.Target, Author: b.Author, AuthorName: b.AuthorName, AuthorEmail: b.AuthorEmail,
		AuthorAvatar: b.AuthorAvatar, Deployment: b.Deploy, DeploymentID: b.DeployID, Cron: b.Cron, Sender: "api",
	}
}

// queryParams returns the query parameters that become build parameters.
func queryParams(r *http.Request) map[string]string {
	out := map[string]string{}
	for k, v := range r.URL.Query() {
		switch k {
		case "access_token", "scm", "target", "debug":
			continue
		}
		out[k] = v[0]
	}
	return out
}

// retryBuild starts a build again (Drone's POST /builds/{n}): the previous
// build's parameters win over the query's.
func (s *service) retryBuild(w http.ResponseWriter, r *http.Request) {
	repo, b, _, err := s.loadBuild(r)
	if err != nil {
		httperr.Write(w, r, err)
		return
	}
	h := hookFrom(b)
	h.Params = queryParams(r)
	maps.Copy(h.Params, b.Params)
	h.Debug = r.URL.Query().Get("debug") == "true"
	s.startFrom(w, r, repo, h)
}

// promoteBuild promotes or rolls back a build to ?target= (Drone's
// POST /builds/{n}/promote and /rollback): the query's parameters win.
func (s *service) promoteBuild(event string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		repo, b, _, err := s.loadBuild(r)
		if err != nil {
			httperr.Write(w, r, err)
			return
		}
		target := r.URL.Query().Get("target")
		if target == "" {
			httperr.Write(w, r, httperr.New(httperr.Invalid, "?target= names the environment to %s to", event))
			return
		}
		h := hookFrom(b)
		h.Event, h.Deployment, h.DeploymentID = event, target, 0
		h.Params = map[string]string{}
		maps.Copy(h.Params, b.Params)
		maps.Copy(h.Params, queryParams(r))
		s.startFrom(w, r, repo, h)
	}
}

func (s *service) startFrom(w http.ResponseWriter, r *http.Request, repo *model.Repo, h *model.Hook) {
	if !repo.Active {
		httperr.Write(w, r, httperr.New(httperr.Conflict, "repository %s is not active", repo.Slug))
		return
	}
	if len(h.Params) == 0 {
		h.Params = nil
	}
	build, stages, err := s.trigger.trigger(context.WithoutCancel(r.Context()), repo, h)
	switch {
	case err != nil:
		httperr.Write(w, r, httperr.Wrap(httperr.Internal, err, "%v", err))
	case build == nil:
		httperr.Write(w, r, httperr.New(httperr.Unprocessable, "no build: skipped, or no pipeline matches a %s build", h.Event))
	default:
		wire.WriteJSON(w, http.StatusCreated, toWireBuild(build, stages))
	}
}
