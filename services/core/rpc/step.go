package rpc

import (
	"net/http"

	"github.com/hangar-ci/hangar/services/core/events"
	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/services/core/view"
	"github.com/hangar-ci/hangar/shared/httperr"
	"github.com/hangar-ci/hangar/shared/wire"
)

// updateStep takes the runner's report of one step (running, then its
// final status). A step is only updated through the stage it belongs to,
// and only while a runner holds that stage.
func (s *Server) updateStep(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		httperr.Write(w, r, err)
		return
	}
	var in wire.Step
	if err := decode(w, r, maxBody, &in); err != nil {
		httperr.Write(w, r, err)
		return
	}
	ctx := r.Context()
	step, err := s.store.FindStep(ctx, id)
	if err != nil {
		httperr.Write(w, r, storeError(err, "step"))
		return
	}
	switch {
	case in.ID != 0 && in.ID != step.ID:
		httperr.Write(w, r, httperr.New(httperr.Invalid, "body is step %d, path step %d", in.ID, step.ID))
		return
	case in.StageID != step.StageID:
		httperr.Write(w, r, httperr.New(httperr.Conflict, "step %d belongs to stage %d, not %d", step.ID, step.StageID, in.StageID))
		return
	case !validStep(in.Status):
		httperr.Write(w, r, httperr.New(httperr.Invalid, "step status %q is not a step status", in.Status))
		return
	}
	st, err := s.store.FindStage(ctx, step.StageID)
	if err != nil {
		httperr.Write(w, r, storeError(err, "stage"))
		return
	}
	if st.Machine == "" {
		httperr.Write(w, r, httperr.New(httperr.Conflict, "stage %d of step %d is not held by a runner", st.ID, step.ID))
		return
	}
	step.Status, step.Error, step.ExitCode, step.Started, step.Stopped = in.Status, trunc(in.Error), in.ExitCode, in.Started, in.Stopped
	if err := s.store.UpdateStep(ctx, step); err != nil {
		httperr.Write(w, r, storeError(err, "step"))
		return
	}
	s.bus.Publish(ctx, events.Step(step.ID))
	s.life.StepUpdated(ctx, step)
	wire.WriteJSON(w, http.StatusOK, view.Step(step))
}

// batch stores live log lines. runner-go ignores this call's errors, so
// it is answered as exactly as any other.
func (s *Server) batch(w http.ResponseWriter, r *http.Request) {
	step, ok := s.findStep(w, r)
	if !ok {
		return
	}
	var lines []*model.Line
	if err := decode(w, r, s.logs.Limit+maxBody, &lines); err != nil {
		httperr.Write(w, r, err)
		return
	}
	if err := s.logs.Append(r.Context(), step.ID, lines); err != nil {
		httperr.Write(w, r, storeError(err, "step"))
		return
	}
	w.WriteHeader(http.StatusOK)
}

// upload stores the step's complete log (a JSON array of lines), its
// newest part when over the limit.
func (s *Server) upload(w http.ResponseWriter, r *http.Request) {
	step, ok := s.findStep(w, r)
	if !ok {
		return
	}
	// JSON at most doubles a line's size (escapes), plus position and time.
	body, err := readAll(w, r, 3*s.logs.Limit+maxBody)
	if err != nil {
		httperr.Write(w, r, err)
		return
	}
	if err := s.logs.Upload(r.Context(), step.ID, body); err != nil {
		httperr.Write(w, r, logError(err))
		return
	}
	w.WriteHeader(http.StatusOK)
}

// card accepts runner-go v1.12's step card and keeps nothing.
func (s *Server) card(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.findStep(w, r); ok {
		w.WriteHeader(http.StatusOK)
	}
}

func (s *Server) findStep(w http.ResponseWriter, r *http.Request) (*model.Step, bool) {
	id, err := pathID(r)
	if err != nil {
		httperr.Write(w, r, err)
		return nil, false
	}
	step, err := s.store.FindStep(r.Context(), id)
	if err != nil {
		httperr.Write(w, r, storeError(err, "step"))
		return nil, false
	}
	return step, true
}
