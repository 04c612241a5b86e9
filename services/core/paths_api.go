package core

import (
	"net/http"

	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/services/core/view"
	"github.com/hangar-ci/hangar/shared/httperr"
	"github.com/hangar-ci/hangar/shared/wire"
)

// buildWithPaths is a build as Drone shows it plus, for builds whose
// pipelines have path conditions, what path filtering decided. Drone's
// clients ignore the extra key.
type buildWithPaths struct {
	*wire.Build
	Paths *model.PathReport `json:"paths,omitempty"`
}

// writeBuild answers GET …/builds/{number}: the build, each stage with
// its steps, and the path report.
func (s *service) writeBuild(w http.ResponseWriter, r *http.Request, b *model.Build, stages []*model.Stage) {
	rep, err := s.trigger.paths.report(r.Context(), b)
	if err != nil {
		httperr.Write(w, r, storeError(err, "path report"))
		return
	}
	steps, err := s.store.ListSteps(r.Context(), b.ID)
	if err != nil {
		httperr.Write(w, r, storeError(err, "steps"))
		return
	}
	wire.WriteJSON(w, http.StatusOK, buildWithPaths{Build: view.BuildSteps(b, stages, steps), Paths: rep})
}
