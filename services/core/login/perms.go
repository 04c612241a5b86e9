package login

import (
	"context"
	"errors"

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
// token.
func (s PermSource) AddHook(ctx context.Context, u *model.User, repo *model.Repo, url string) error {
	if u.SCM != repo.SCM {
		return ErrNoToken
	}
	p, hc, err := s.Tokens.Client(ctx, u)
	if err != nil {
		return err
	}
	return p.AddHook(ctx, hc, repo.Slug, url, repo.Secret)
}
