package core

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/shared/httperr"
	"github.com/hangar-ci/hangar/shared/reqlog"
	"github.com/hangar-ci/hangar/shared/scm"
)

// branchHeads is what a manual build needs of an SCM besides SCM: the
// head commit of a branch. Errors for an unknown branch wrap
// scm.ErrNotFound.
type branchHeads interface {
	BranchHead(ctx context.Context, slug, branch string) (Commit, error)
}

// createBuild triggers a custom build (Drone's POST /api/repos/{o}/{n}/builds,
// `drone build create`): ?branch= (default: the repository's) at its head
// commit, or at ?commit=, both resolved through the SCM API as Drone does;
// every other query parameter becomes a build parameter.
func (s *service) createBuild(w http.ResponseWriter, r *http.Request) {
	repo, err := s.findRepo(r)
	if err != nil {
		httperr.Write(w, r, err)
		return
	}
	reqlog.Annotate(r.Context(), slog.String("repo", repo.Slug))
	if !repo.Active {
		httperr.Write(w, r, httperr.New(httperr.Conflict, "repository %s is not active", repo.Slug))
		return
	}
	q := r.URL.Query()
	branch := strings.TrimPrefix(q.Get("branch"), "refs/heads/")
	if branch == "" {
		branch = repo.Branch
	}
	c, err := s.resolveCommit(r.Context(), repo, branch, q.Get("commit"))
	if err != nil {
		httperr.Write(w, r, err)
		return
	}
	h := &model.Hook{
		Trigger: "@api", Event: model.EventCustom, Link: c.Link, Message: c.Message,
		Before: c.SHA, After: c.SHA, Ref: "refs/heads/" + branch, Source: branch, Target: branch,
		Author: c.AuthorLogin, AuthorName: c.AuthorName, AuthorEmail: c.AuthorEmail, AuthorAvatar: c.Avatar,
		Sender: "api",
	}
	for k, v := range q {
		switch k {
		case "branch", "commit", "access_token", "scm":
			continue
		}
		if h.Params == nil {
			h.Params = map[string]string{}
		}
		h.Params[k] = v[0]
	}
	s.startFrom(w, r, repo, h)
}

// resolveCommit finds the commit a manual build runs: sha when given,
// else the head of branch. Unknown ones are 404; an SCM that cannot be
// reached is 503 with the reason.
func (s *service) resolveCommit(ctx context.Context, repo *model.Repo, branch, sha string) (Commit, error) {
	api := s.trigger.scms(repo.SCM)
	var (
		c    Commit
		err  error
		what string
	)
	if sha != "" {
		what = "commit " + sha + " of " + repo.Slug
		c, err = api.Commit(ctx, repo.Slug, sha)
		c.SHA = sha
	} else {
		what = "branch " + branch + " of " + repo.Slug
		bh, ok := api.(branchHeads)
		if !ok {
			return Commit{}, httperr.New(httperr.Unavailable, "cannot resolve %s: %s: %v", what, repo.SCM, errNoSCM)
		}
		c, err = bh.BranchHead(ctx, repo.Slug, branch)
	}
	switch {
	case errors.Is(err, scm.ErrNotFound):
		return Commit{}, httperr.Wrap(httperr.NotFound, err, "%s not found", what)
	case err != nil:
		return Commit{}, httperr.Wrap(httperr.Unavailable, err, "cannot resolve %s: %v", what, err)
	case c.SHA == "":
		return Commit{}, httperr.New(httperr.Unavailable, "cannot resolve %s: the SCM answered no commit", what)
	}
	return c, nil
}
