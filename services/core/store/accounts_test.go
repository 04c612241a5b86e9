package store

import (
	"context"
	"errors"
	"testing"

	"github.com/hangar-ci/hangar/services/core/model"
)

// TestAccounts runs the users, permissions, owners, secrets, cron and
// settings statements on both databases.
func TestAccounts(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := newStore(t, d)
			repo := &model.Repo{Namespace: "Octo", Name: "hello", Slug: "Octo/hello", SCM: "github", Active: true}
			if err := s.CreateRepo(ctx, repo); err != nil {
				t.Fatal(err)
			}
			u := &model.User{Login: "Dev", Active: true, TokenHash: "hash-dev"}
			if err := s.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			if err := s.CreateUser(ctx, &model.User{Login: "dev", TokenHash: "other"}); !errors.Is(err, ErrConflict) {
				t.Errorf("same login in another case: got %v, want ErrConflict", err)
			}
			if got, err := s.FindUserToken(ctx, "hash-dev"); err != nil || got.ID != u.ID {
				t.Errorf("by token: got %v %v", got, err)
			}
			if err := s.PutPerm(ctx, &model.Perm{UserID: u.ID, RepoID: repo.ID, Pull: true, Synced: 1}); err != nil {
				t.Fatal(err)
			}
			if err := s.PutPerm(ctx, &model.Perm{UserID: u.ID, RepoID: repo.ID, Pull: true, Admin: true, Synced: 2}); err != nil {
				t.Fatal(err)
			}
			if p, err := s.FindPerm(ctx, u.ID, repo.ID); err != nil || !p.Admin || p.Synced != 2 {
				t.Errorf("perm after upsert: got %+v %v", p, err)
			}
			if repos, err := s.ListUserRepos(ctx, u.ID); err != nil || len(repos) != 1 {
				t.Errorf("user repos: got %v %v", repos, err)
			}
			if ok, err := s.NamespaceAdmin(ctx, u.ID, "octo"); err != nil || !ok {
				t.Errorf("namespace admin: got %v %v", ok, err)
			}
			if c, err := s.ListCollaborators(ctx, repo.ID); err != nil || len(c) != 1 || c[0].Login != "Dev" {
				t.Errorf("collaborators: got %v %v", c, err)
			}
			if err := s.SetRepoOwner(ctx, repo.ID, u.ID); err != nil {
				t.Fatal(err)
			}
			if o, err := s.RepoOwner(ctx, repo.ID); err != nil || o.ID != u.ID {
				t.Errorf("owner: got %v %v", o, err)
			}
			for _, sec := range []*model.Secret{{RepoID: repo.ID, Name: "a", Data: "sealed"}, {Namespace: "Octo", Name: "b", Data: "sealed"}} {
				if err := s.CreateSecret(ctx, sec); err != nil {
					t.Fatal(err)
				}
			}
			if list, err := s.ListSecrets(ctx, 0, ""); err != nil || len(list) != 1 || list[0].Name != "b" {
				t.Errorf("org secrets: got %v %v", list, err)
			}
			c := &model.Cron{RepoID: repo.ID, Name: "nightly", Expr: "@daily", Next: 10}
			if err := s.CreateCron(ctx, c); err != nil {
				t.Fatal(err)
			}
			claimed, err := s.ClaimDueCrons(ctx, 20, func(*model.Cron) int64 { return 100 })
			if err != nil || len(claimed) != 1 || claimed[0].Next != 100 || claimed[0].Prev != 10 {
				t.Errorf("claim: got %v %v", claimed, err)
			}
			if again, err := s.ClaimDueCrons(ctx, 20, func(*model.Cron) int64 { return 100 }); err != nil || len(again) != 0 {
				t.Errorf("second claim in the same tick: got %v %v, want none", again, err)
			}
			if err := s.PutSetting(ctx, "k", "1"); err != nil {
				t.Fatal(err)
			}
			s.PutSetting(ctx, "k", "2")
			if v, err := s.Setting(ctx, "k"); err != nil || v != "2" {
				t.Errorf("setting: got %q %v", v, err)
			}
			if st, err := s.Stats(ctx); err != nil || st.Users != 1 || st.ActiveRepos != 1 {
				t.Errorf("stats: got %+v %v", st, err)
			}
			if err := s.DeleteUser(ctx, u.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := s.FindPerm(ctx, u.ID, repo.ID); !errors.Is(err, ErrNotFound) {
				t.Errorf("perm after the user's removal: got %v, want ErrNotFound", err)
			}
			if _, err := s.RepoOwner(ctx, repo.ID); !errors.Is(err, ErrNotFound) {
				t.Errorf("owner after the user's removal: got %v, want ErrNotFound", err)
			}
		})
	}
}
