package core

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/shared/httperr"
)

// runnerRoutes adds the API of steps and logs: Drone's stored log and its
// live SSE stream.
func (s *service) runnerRoutes(api *http.ServeMux) {
	api.HandleFunc("GET /api/repos/{owner}/{name}/builds/{number}/logs/{stage}/{step}", s.showLog)
	api.HandleFunc("GET /api/stream/{owner}/{name}/{number}/{stage}/{step}", s.streamLog)
}

// loadStep resolves …/{number}/{stage}/{step}: stage and step are
// numbers, as in Drone's paths.
func (s *service) loadStep(r *http.Request) (*model.Step, error) {
	_, b, stages, err := s.loadBuild(r)
	if err != nil {
		return nil, err
	}
	sn, err1 := strconv.Atoi(r.PathValue("stage"))
	pn, err2 := strconv.Atoi(r.PathValue("step"))
	if err1 != nil || err2 != nil {
		return nil, httperr.New(httperr.Invalid, "stage %q and step %q must be numbers", r.PathValue("stage"), r.PathValue("step"))
	}
	steps, err := s.store.ListSteps(r.Context(), b.ID)
	if err != nil {
		return nil, storeError(err, "steps")
	}
	for _, st := range stages {
		if st.Number != sn {
			continue
		}
		for _, p := range steps {
			if p.StageID == st.ID && p.Number == pn {
				return p, nil
			}
		}
	}
	return nil, httperr.New(httperr.NotFound, "build %d has no step %d in stage %d", b.Number, pn, sn)
}

// showLog answers a step's uploaded log, the JSON array of lines the
// runner sent (its newest part when it was over HANGAR_LOG_LIMIT).
func (s *service) showLog(w http.ResponseWriter, r *http.Request) {
	step, err := s.loadStep(r)
	if err != nil {
		httperr.Write(w, r, err)
		return
	}
	data, err := s.runners.logs.Find(r.Context(), step.ID)
	if err != nil {
		httperr.Write(w, r, storeError(err, "log"))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(data)
}

// purgeLog is Drone's DELETE …/logs/{stage}/{step} (repository admins):
// the step's stored log and live lines are removed.
func (s *service) purgeLog(w http.ResponseWriter, r *http.Request) {
	step, err := s.loadStep(r)
	if err != nil {
		httperr.Write(w, r, err)
		return
	}
	if err := s.runners.logs.Delete(r.Context(), step.ID); err != nil {
		httperr.Write(w, r, storeError(err, "log"))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// streamMax bounds one SSE stream, as Drone's (1 h).
const streamMax = time.Hour

// streamLog is Drone's live log stream: Server-Sent Events replaying the
// step's lines from position 0, then following new ones, ending with
// `event: error` / `data: eof` when the step is done.
func (s *service) streamLog(w http.ResponseWriter, r *http.Request) {
	step, err := s.loadStep(r)
	if err != nil {
		httperr.Write(w, r, err)
		return
	}
	rc := http.NewResponseController(w) // reaches through middleware wrappers
	flush := func() { rc.Flush() }
	// The server's write timeout (minutes) would cut a long step's stream.
	rc.SetWriteDeadline(time.Now().Add(streamMax + time.Minute))
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": ping\n\n")
	flush()
	ctx, cancel := context.WithTimeout(r.Context(), streamMax)
	defer cancel()
	emit := func(l *model.Line) error {
		b, _ := json.Marshal(l)
		if _, err := fmt.Fprintf(w, "data: %s\n\n", b); err != nil {
			return err
		}
		flush()
		return nil
	}
	ping := func() error {
		_, err := fmt.Fprint(w, ": ping\n\n")
		flush()
		return err
	}
	if err := s.runners.logs.Tail(ctx, step.ID, 30*time.Second, emit, ping); err != nil && ctx.Err() != nil {
		return // the client went away or the stream hit its bound
	}
	fmt.Fprint(w, "event: error\ndata: eof\n\n")
	flush()
}
