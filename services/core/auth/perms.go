package auth

import (
	"context"
	"errors"
	"time"

	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/services/core/store"
)

// PermStore keeps the synced permissions.
type PermStore interface {
	FindPerm(ctx context.Context, userID, repoID int64) (*model.Perm, error)
	PutPerm(ctx context.Context, p *model.Perm) error
}

// PermSource asks the SCM what a user may do in a repository; it answers
// ErrNoSource when it cannot (the user has no token on that SCM).
type PermSource interface {
	Perm(ctx context.Context, u *model.User, repo *model.Repo) (*model.Perm, error)
}

// ErrNoSource is a PermSource's answer for a user it cannot ask about.
var ErrNoSource = errors.New("no SCM access for this user")

// Perms finds a user's permission in a repository: the stored one while it
// is younger than MaxAge, else a fresh one from Source, stored for the
// next requests (and the other replicas). A permission older than MaxAge
// that cannot be refreshed counts as none.
type Perms struct {
	Store  PermStore
	Source PermSource // nil: permissions are only those stored
	MaxAge time.Duration
	Now    func() time.Time
}

// Find returns u's permission in repo, nil when there is none.
func (p *Perms) Find(ctx context.Context, u *model.User, repo *model.Repo) (*model.Perm, error) {
	if u == nil || u.Admin {
		return nil, nil
	}
	now := p.Now().Unix()
	stored, err := p.Store.FindPerm(ctx, u.ID, repo.ID)
	switch {
	case err == nil && now-stored.Synced < int64(p.MaxAge/time.Second):
		return stored, nil
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return nil, err
	}
	if p.Source == nil {
		return nil, nil
	}
	fresh, err := p.Source.Perm(ctx, u, repo)
	switch {
	case errors.Is(err, ErrNoSource):
		return nil, nil
	case err != nil:
		return nil, err
	}
	fresh.UserID, fresh.RepoID, fresh.Synced = u.ID, repo.ID, now
	return fresh, p.Store.PutPerm(ctx, fresh)
}
