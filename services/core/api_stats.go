package core

import (
	"net/http"

	"github.com/hangar-ci/hangar/shared/httperr"
	"github.com/hangar-ci/hangar/shared/wire"
)

// systemStats is GET /api/system/stats, Drone's counts for administrators
// (without its in-process event and stream subscriber counts, which mean
// nothing across replicas).
func (s *service) systemStats(w http.ResponseWriter, r *http.Request) {
	st, err := s.db.Stats(r.Context())
	if err != nil {
		httperr.Write(w, r, storeError(err, "stats"))
		return
	}
	type count = map[string]int64
	wire.WriteJSON(w, http.StatusOK, map[string]count{
		"users":     {"total": st.Users},
		"repos":     {"active": st.ActiveRepos},
		"builds":    {"pending": st.PendingBuilds, "running": st.RunningBuilds, "total": st.Builds},
		"pipelines": {"pending": st.PendingStages, "running": st.RunningStages},
	})
}
