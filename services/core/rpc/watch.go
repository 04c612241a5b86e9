package rpc

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/hangar-ci/hangar/services/core/events"
	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/shared/httperr"
	"github.com/hangar-ci/hangar/shared/reqlog"
)

// watchRecheck bounds how long a parked watch goes without reading the
// build's status: only a safety net, since a cancel on any replica wakes
// the watch (LISTEN/NOTIFY on PostgreSQL).
const watchRecheck = 15 * time.Second

// watch is the runner's long poll for a cancel: 200 when the build is
// finished or killed, 204 when nothing happened within the poll (the
// runner asks again 10 s later). The stored status is read on arrival, so
// a cancel issued while no watch was parked (during the runner's pause)
// is answered at once: Drone loses those. While parked, the watch records
// that the build's runners are alive.
func (s *Server) watch(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		httperr.Write(w, r, err)
		return
	}
	ctx := r.Context()
	wake, stop := s.bus.Subscribe(events.Build(id))
	defer stop()
	deadline := time.NewTimer(s.cfg.Watch)
	defer deadline.Stop()
	// A cancel made through another replica, which a local bus does not
	// hear, is read every few seconds; the heartbeat is written every Beat.
	recheck := time.NewTicker(min(s.cfg.Beat, watchRecheck))
	defer recheck.Stop()
	var beaten time.Time
	for first := true; ; first = false {
		b, err := s.store.FindBuildID(ctx, id)
		switch {
		case err != nil && first:
			httperr.Write(w, r, storeError(err, "build"))
			return
		case err != nil:
			reqlog.From(ctx).Warn("watch: build unreadable", slog.String("error", err.Error()))
		case model.Done(b.Status):
			w.WriteHeader(http.StatusOK)
			return
		case time.Since(beaten) >= s.cfg.Beat:
			beaten = time.Now()
			if err := s.store.Beat(ctx, id, s.now().Unix()); err != nil {
				reqlog.From(ctx).Warn("watch: heartbeat failed", slog.String("error", err.Error()))
			}
		}
		select {
		case <-ctx.Done():
			w.WriteHeader(http.StatusNoContent)
			return
		case <-deadline.C:
			w.WriteHeader(http.StatusNoContent)
			return
		case <-wake:
		case <-recheck.C:
		}
	}
}
