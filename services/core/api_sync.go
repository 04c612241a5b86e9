package core

import (
	"context"
	"errors"
	"time"

	"github.com/hangar-ci/hangar/services/core/login"
	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/services/core/store"
)

// syncRepos is Drone's repository sync for a user who signed in through
// an SCM: every repository the SCM lists for them becomes known (inactive
// until enabled) and their permission in it is stored, fresh.
func (s *service) syncRepos(ctx context.Context, u *model.User) error {
	if s.tokens == nil || u.SCMTokenSealed == "" {
		return nil
	}
	p, hc, err := s.tokens.Client(ctx, u)
	if errors.Is(err, login.ErrNoToken) {
		return nil
	}
	if err != nil {
		return err
	}
	remotes, err := p.Repos(ctx, hc)
	if err != nil {
		return err
	}
	now := time.Now().Unix()
	for _, rm := range remotes {
		repo, err := s.store.FindRepoSlug(ctx, p.Kind(), rm.Namespace+"/"+rm.Name)
		if errors.Is(err, store.ErrNotFound) {
			repo = &model.Repo{
				Namespace: rm.Namespace, Name: rm.Name, Slug: rm.Namespace + "/" + rm.Name, SCM: p.Kind(), Link: rm.Link,
				HTTPURL: rm.HTTPURL, SSHURL: rm.SSHURL, Branch: rm.Branch, Visibility: rm.Visibility, Private: rm.Private,
				Config: ".drone.yml", Timeout: 60, Secret: randomSecret(), Created: now, Updated: now,
			}
			if repo.Branch == "" {
				repo.Branch = "main"
			}
			err = s.store.CreateRepo(ctx, repo)
		}
		if err != nil {
			return err
		}
		if err := s.db.PutPerm(ctx, &model.Perm{UserID: u.ID, RepoID: repo.ID, Pull: rm.Pull, Push: rm.Push, Admin: rm.Admin, Synced: now}); err != nil {
			return err
		}
	}
	u.Synced, u.Updated = now, now
	return s.db.UpdateUser(ctx, u)
}
