package rpc

import (
	"net/http"

	"github.com/hangar-ci/hangar/services/core/view"
	"github.com/hangar-ci/hangar/shared/httperr"
	"github.com/hangar-ci/hangar/shared/wire"
)

// accept gives the stage to ?machine= if nobody holds it yet; the runner
// that loses gets 409 and polls again.
func (s *Server) accept(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		httperr.Write(w, r, err)
		return
	}
	machine := r.URL.Query().Get("machine")
	if machine == "" {
		httperr.Write(w, r, httperr.New(httperr.Invalid, "?machine= names the runner accepting the stage"))
		return
	}
	st, err := s.store.AcceptStage(r.Context(), id, machine, s.now().Unix())
	if err != nil {
		httperr.Write(w, r, storeError(err, "stage"))
		return
	}
	wire.WriteJSON(w, http.StatusOK, view.Stage(st))
}
