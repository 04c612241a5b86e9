package auth

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/services/core/store"
)

// fakePerms is a PermStore and PermSource whose unset functions fail.
type fakePerms struct {
	find func(userID, repoID int64) (*model.Perm, error)
	put  func(p *model.Perm) error
	scm  func(u *model.User, repo *model.Repo) (*model.Perm, error)
}

var errUnexpected = errors.New("not expected")

func (f *fakePerms) FindPerm(_ context.Context, userID, repoID int64) (*model.Perm, error) {
	if f.find == nil {
		return nil, errUnexpected
	}
	return f.find(userID, repoID)
}

func (f *fakePerms) PutPerm(_ context.Context, p *model.Perm) error {
	if f.put == nil {
		return errUnexpected
	}
	return f.put(p)
}

func (f *fakePerms) Perm(_ context.Context, u *model.User, repo *model.Repo) (*model.Perm, error) {
	if f.scm == nil {
		return nil, errUnexpected
	}
	return f.scm(u, repo)
}

func TestPermsMaxAge(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	user, repo := &model.User{ID: 7}, &model.Repo{ID: 9}
	stored := func(age time.Duration) func(int64, int64) (*model.Perm, error) {
		return func(int64, int64) (*model.Perm, error) {
			return &model.Perm{Pull: true, Push: true, Synced: now.Add(-age).Unix()}, nil
		}
	}
	missing := func(int64, int64) (*model.Perm, error) { return nil, store.ErrNotFound }
	fresh := func(*model.User, *model.Repo) (*model.Perm, error) { return &model.Perm{Pull: true}, nil }
	var put *model.Perm
	tests := []struct {
		name     string
		f        *fakePerms
		noSource bool
		want     *model.Perm // nil: none
		wantPut  bool
	}{
		{"young stored permission", &fakePerms{find: stored(time.Minute)}, false, &model.Perm{Pull: true, Push: true}, false},
		{"old one refreshed", &fakePerms{find: stored(2 * time.Hour), scm: fresh, put: func(p *model.Perm) error { put = p; return nil }}, false, &model.Perm{Pull: true}, true},
		{"missing one fetched", &fakePerms{find: missing, scm: fresh, put: func(p *model.Perm) error { return nil }}, false, &model.Perm{Pull: true}, true},
		{"old one, no SCM token", &fakePerms{find: stored(2 * time.Hour), scm: func(*model.User, *model.Repo) (*model.Perm, error) { return nil, ErrNoSource }}, false, nil, false},
		{"old one, no source at all", &fakePerms{find: stored(2 * time.Hour)}, true, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Perms{Store: tt.f, Source: tt.f, MaxAge: time.Hour, Now: func() time.Time { return now }}
			if tt.noSource {
				p.Source = nil
			}
			got, err := p.Find(context.Background(), user, repo)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tt.want == nil && got != nil:
				t.Errorf("got %+v, want none", got)
			case tt.want != nil && (got == nil || got.Pull != tt.want.Pull || got.Push != tt.want.Push || got.Admin != tt.want.Admin):
				t.Errorf("got %+v, want %+v", got, tt.want)
			case tt.wantPut && got.Synced != now.Unix():
				t.Errorf("refreshed permission synced at %d, want now", got.Synced)
			}
		})
	}
	if put == nil || put.UserID != 7 || put.RepoID != 9 {
		t.Errorf("stored refreshed permission %+v, want it for user 7 in repo 9", put)
	}
	if got, err := (&Perms{Now: time.Now}).Find(context.Background(), &model.User{Admin: true}, repo); got != nil || err != nil {
		t.Errorf("system admin: got %+v %v, want no look-up", got, err)
	}
}
