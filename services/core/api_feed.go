package core

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/hangar-ci/hangar/services/core/auth"
	"github.com/hangar-ci/hangar/services/core/feed"
	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/services/core/store"
)

// changeStore is what the global event stream reads.
type changeStore interface {
	ChangedBuilds(ctx context.Context, since int64, limit int) ([]store.Changed, error)
	FindRepo(ctx context.Context, id int64) (*model.Repo, error)
}

// maxChanges bounds one read of the changes; more in one window are rare,
// and a page refreshes everything it shows on any event anyway.
const maxChanges = 500

// eventFeed is Drone's GET /api/stream over the store, nil when the store
// cannot list changes.
func (s *service) eventFeed() http.Handler {
	cs, ok := s.store.(changeStore)
	if !ok {
		return nil
	}
	src := func(ctx context.Context, since int64) ([]feed.Event, error) {
		list, err := cs.ChangedBuilds(ctx, since, maxChanges)
		if err != nil {
			return nil, err
		}
		repos := map[int64]*model.Repo{}
		out := make([]feed.Event, 0, len(list))
		for _, c := range list {
			repo, ok := repos[c.Build.RepoID]
			if !ok {
				if repo, err = cs.FindRepo(ctx, c.Build.RepoID); err != nil {
					return nil, err
				}
				repos[repo.ID] = repo
			}
			msg := toWireRepo(repo)
			msg.Build = toWireBuild(c.Build, nil)
			data, err := json.Marshal(msg)
			if err != nil {
				return nil, err
			}
			out = append(out, feed.Event{Build: c.Build.ID, Print: c.Print, Data: data, Repo: repo})
		}
		return out, nil
	}
	// A caller sees the builds of the repositories the API lets them read.
	allow := func(r *http.Request, repo *model.Repo) bool {
		u := auth.UserFrom(r.Context())
		perm, err := s.perms.Find(r.Context(), u, repo)
		return err == nil && auth.Level(u, repo, perm) >= Read
	}
	return feed.New(src, allow, feed.Options{})
}
