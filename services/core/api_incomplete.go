package core

import (
	"net/http"

	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/shared/httperr"
	"github.com/hangar-ci/hangar/shared/wire"
)

// listIncomplete is GET /api/builds/incomplete (drone build queue): one
// entry per pending or running build, its repository with the build.
func (s *service) listIncomplete(w http.ResponseWriter, r *http.Request) {
	builds, err := s.db.IncompleteBuilds(r.Context())
	if err != nil {
		httperr.Write(w, r, storeError(err, "builds"))
		return
	}
	repos := map[int64]*model.Repo{}
	out := make([]*wire.Repository, 0, len(builds))
	for _, b := range builds {
		repo, ok := repos[b.RepoID]
		if !ok {
			if repo, err = s.store.FindRepo(r.Context(), b.RepoID); err != nil {
				httperr.Write(w, r, storeError(err, "repository"))
				return
			}
			repos[b.RepoID] = repo
		}
		wr := toWireRepo(repo)
		wr.Build = toWireBuild(b, nil)
		out = append(out, wr)
	}
	wire.WriteJSON(w, http.StatusOK, out)
}
