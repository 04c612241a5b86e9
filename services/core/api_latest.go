package core

import (
	"net/http"

	"github.com/hangar-ci/hangar/shared/httperr"
	"github.com/hangar-ci/hangar/shared/wire"
)

// latestBuild is GET …/builds/latest: the newest build, of ?ref= or of
// ?branch= (refs/heads/<branch>) when given, with its stages.
func (s *service) latestBuild(w http.ResponseWriter, r *http.Request) {
	repo, err := s.findRepo(r)
	if err != nil {
		httperr.Write(w, r, err)
		return
	}
	ref := r.URL.Query().Get("ref")
	if b := r.URL.Query().Get("branch"); b != "" && ref == "" {
		ref = "refs/heads/" + b
	}
	b, err := s.db.LatestBuild(r.Context(), repo.ID, ref)
	if err != nil {
		httperr.Write(w, r, storeError(err, "build"))
		return
	}
	stages, err := s.store.ListStages(r.Context(), b.ID)
	if err != nil {
		httperr.Write(w, r, storeError(err, "stages"))
		return
	}
	wire.WriteJSON(w, http.StatusOK, toWireBuild(b, stages))
}
