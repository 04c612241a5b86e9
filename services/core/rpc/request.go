package rpc

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/hangar-ci/hangar/services/core/queue"
	"github.com/hangar-ci/hangar/services/core/view"
	"github.com/hangar-ci/hangar/shared/httperr"
	"github.com/hangar-ci/hangar/shared/reqlog"
	"github.com/hangar-ci/hangar/shared/wire"
)

// request is the runner's long poll for work: a stage its filter matches,
// offered to it alone, or 204 when none came within the poll. An idle
// poll is never answered 5xx (runners would retry at once, in a loop):
// a database failure is logged and answered 204 too.
func (s *Server) request(w http.ResponseWriter, r *http.Request) {
	var f queue.Filter
	if err := decode(w, r, maxBody, &f); err != nil {
		httperr.Write(w, r, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.Poll)
	defer cancel()
	st, err := s.queue.Request(ctx, f)
	switch {
	case err == nil:
		wire.WriteJSON(w, http.StatusOK, view.Stage(st))
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		w.WriteHeader(http.StatusNoContent)
	default:
		reqlog.From(r.Context()).Warn("stage request failed", slog.String("error", err.Error()))
		w.WriteHeader(http.StatusNoContent)
	}
}
