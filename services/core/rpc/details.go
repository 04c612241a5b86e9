package rpc

import (
	"errors"
	"net/http"

	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/services/core/store"
	"github.com/hangar-ci/hangar/services/core/view"
	"github.com/hangar-ci/hangar/shared/httperr"
	"github.com/hangar-ci/hangar/shared/wire"
)

// stageContext is what a runner needs to run a stage (runner-go's
// client.Context).
type stageContext struct {
	Build   *wire.Build      `json:"build"`
	Stage   *wire.Stage      `json:"stage"`
	Config  file             `json:"config"`
	Netrc   *Netrc           `json:"netrc"`
	Repo    *wire.Repository `json:"repository"`
	Secrets []secret         `json:"secrets"`
	System  *wire.System     `json:"system"`
}

// file is runner-go's client.File, which has no JSON tags: Data is the
// YAML, base64 as encoding/json writes a []byte.
type file struct {
	Data []byte
	Hash []byte
}

// secret is a secret handed to the stage (Config.Secrets); the runner's
// own secret extension answers the names not among them.
type secret struct {
	Name            string `json:"name"`
	Data            string `json:"data"`
	PullRequest     bool   `json:"pull_request"`
	PullRequestPush bool   `json:"pull_request_push"`
}

// details answers the stage's context to the runner holding it: the build
// with its stages, the YAML stored with the build (what the trigger
// resolved, so a changed config repository or an extension outage cannot
// change a running build), the clone credential and the repository with a
// timeout the runner can use.
func (s *Server) details(w http.ResponseWriter, r *http.Request) {
	st, ok := s.findStage(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	if st.Machine == "" || model.Done(st.Status) {
		httperr.Write(w, r, httperr.New(httperr.Conflict, "stage %d is %s and not accepted by a runner", st.ID, st.Status))
		return
	}
	b, err := s.store.FindBuildID(ctx, st.BuildID)
	if err != nil {
		httperr.Write(w, r, storeError(err, "build"))
		return
	}
	repo, err := s.store.FindRepo(ctx, b.RepoID)
	if err != nil {
		httperr.Write(w, r, storeError(err, "repository"))
		return
	}
	stages, err := s.store.ListStages(ctx, b.ID)
	if err != nil {
		httperr.Write(w, r, storeError(err, "stages"))
		return
	}
	yaml, err := s.store.FindBuildConfig(ctx, b.ID)
	if errors.Is(err, store.ErrNotFound) {
		// A build stored without its YAML (before Hangar kept it) can never
		// run: the stage ends in error rather than being offered forever.
		st.Status, st.Error = model.StatusError, "the build has no stored configuration: start a new build"
		if err := s.life.Finish(ctx, st); err != nil {
			httperr.Write(w, r, storeError(err, "stage"))
			return
		}
		s.finished(ctx, st)
		httperr.Write(w, r, httperr.New(httperr.NotFound, "build %d has no stored configuration", b.Number))
		return
	}
	if err != nil {
		httperr.Write(w, r, storeError(err, "configuration"))
		return
	}
	wr := view.Repo(repo)
	if wr.Timeout <= 0 {
		wr.Timeout = s.cfg.DefaultTimeout
	}
	var netrc *Netrc
	if s.cfg.Netrc != nil {
		netrc = s.cfg.Netrc(repo)
	}
	secrets := []secret{}
	if s.cfg.Secrets != nil {
		list, err := s.cfg.Secrets(ctx, repo, b, yaml)
		if err != nil {
			// Never the values: the error names the secret at most.
			httperr.Write(w, r, httperr.Wrap(httperr.Unavailable, err, "the build's secrets cannot be opened"))
			return
		}
		for _, sec := range list {
			secrets = append(secrets, secret{Name: sec.Name, Data: sec.Data, PullRequest: sec.PullRequest, PullRequestPush: sec.PullRequestPush})
		}
	}
	sys := s.cfg.System
	wire.WriteJSON(w, http.StatusOK, &stageContext{
		Build: view.Build(b, stages), Stage: view.Stage(st), Config: file{Data: []byte(yaml)},
		Netrc: netrc, Repo: wr, Secrets: secrets, System: &sys,
	})
}
