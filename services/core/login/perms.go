package login

import (
	"context"
	"errors"
	"net/http"

	"github.com/hangar-ci/hangar/services/core/auth"
	"github.com/hangar-ci/hangar/services/core/model"
)

// PermSource asks the SCM, with the user's own token, what the user may do
// in a repository (auth.PermSource).
type PermSource struct{ Tokens *Tokens }

// Perm returns the user's permission; a repository the SCM does not show
// the user is no permission at all.
func (s PermSource) Perm(ctx context.Context, u *model.User, repo *model.Repo) (*model.Perm, error) {
	if u.SCM != repo.SCM {
		return nil, auth.ErrNoSource
	}
	p, hc, err := s.Tokens.Client(ctx, u)
	if errors.Is(err, ErrNoToken) {
		return nil, auth.ErrNoSource
	}
	if err != nil {
		return nil, err
	}
	pull, push, admin, err := p.Perm(ctx, hc, repo.Slug)
	if errors.Is(err, ErrNotFound) {
		return &model.Perm{}, nil
	}
	if err != nil {
		return nil, err
	}
	return &model.Perm{Pull: pull, Push: push, Admin: admin}, nil
}

// AddHook creates the repository's webhook on the SCM with the user's
// token, replacing any sending to the same url (as Drone's hook service
// does, so enabling twice or repairing leaves one).
func (s PermSource) AddHook(ctx context.Context, u *model.User, repo *model.Repo, url string) error {
	p, hc, err := s.client(ctx, u, repo)
	if err != nil {
		return err
	}
	if err := p.RemoveHooks(ctx, hc, repo.Slug, url); err != nil {
		return err
	}
	return p.AddHook(ctx, hc, repo.Slug, url, repo.Secret)
}

// RemoveHooks deletes the repository's webhooks sending to url.
func (s PermSource) RemoveHooks(ctx context.Context, u *model.User, repo *model.Repo, url string) error {
	p, hc, err := s.client(ctx, u, repo)
	if err != nil {
		return err
	}
	return p.RemoveHooks(ctx, hc, repo.Slug, url)
}

func (s PermSource) client(ctx context.Context, u *model.User, repo *model.Repo) (Provider, *http.Client, error) {
	if u.SCM != repo.SCM {
		return nil, nil, ErrNoToken
	}
	return s.Tokens.Client(ctx, u)
}
