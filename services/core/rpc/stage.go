package rpc

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/hangar-ci/hangar/services/core/events"
	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/services/core/view"
	"github.com/hangar-ci/hangar/shared/httperr"
	"github.com/hangar-ci/hangar/shared/reqlog"
	"github.com/hangar-ci/hangar/shared/wire"
)

// maxError bounds a stage's or step's stored error, as Drone does.
const maxError = 500

// updateStage takes the runner's report of a stage it holds: pending or
// running creates the steps and starts the stage (and the build); a final
// status stores the steps and runs the teardown that advances the build.
// The answer echoes the stage with its steps' ids, which the runner copies
// by step number.
func (s *Server) updateStage(w http.ResponseWriter, r *http.Request) {
	st, ok := s.findStage(w, r)
	if !ok {
		return
	}
	var in wire.Stage
	if err := decode(w, r, maxBody, &in); err != nil {
		httperr.Write(w, r, err)
		return
	}
	ctx := r.Context()
	var err error
	if err = checkStage(&in, st); err != nil {
		httperr.Write(w, r, err)
		return
	}
	steps := make([]*model.Step, 0, len(in.Steps))
	for _, x := range in.Steps {
		steps = append(steps, &model.Step{
			StageID: st.ID, BuildID: st.BuildID, Number: x.Number, Name: x.Name, Status: x.Status,
			Error: trunc(x.Error), ErrIgnore: x.ErrIgnore, ExitCode: x.ExitCode, Started: x.Started, Stopped: x.Stopped,
		})
	}
	switch {
	case model.Done(st.Status):
		// Cancelled (or reaped) while the runner worked: its steps are
		// recorded, the stage keeps the status it has.
		err = s.store.SaveSteps(ctx, steps)
	case in.Status == model.StatusPending || in.Status == model.StatusRunning:
		st.Started = in.Started
		if err = s.life.Start(ctx, st); err == nil {
			err = s.store.SaveSteps(ctx, steps)
		}
	default:
		if err = s.store.SaveSteps(ctx, steps); err != nil {
			break
		}
		st.Status, st.ExitCode, st.Error = in.Status, in.ExitCode, trunc(in.Error)
		if in.Started > 0 && st.Started == 0 {
			st.Started = in.Started
		}
		if err = s.life.Finish(ctx, st); err == nil {
			s.finished(ctx, st)
		}
	}
	if err != nil {
		httperr.Write(w, r, storeError(err, "stage"))
		return
	}
	// The echo carries the ids the steps were saved under: the runner
	// copies them by number.
	out := view.Stage(st)
	for _, x := range steps {
		out.Steps = append(out.Steps, view.Step(x))
	}
	wire.WriteJSON(w, http.StatusOK, out)
}

// findStage resolves the stage of the path, answering the error itself.
func (s *Server) findStage(w http.ResponseWriter, r *http.Request) (*model.Stage, bool) {
	id, err := pathID(r)
	if err != nil {
		httperr.Write(w, r, err)
		return nil, false
	}
	st, err := s.store.FindStage(r.Context(), id)
	if err != nil {
		httperr.Write(w, r, storeError(err, "stage"))
		return nil, false
	}
	return st, true
}

// checkStage refuses a report that does not fit the stored stage.
func checkStage(in *wire.Stage, st *model.Stage) error {
	switch {
	case in.ID != 0 && in.ID != st.ID:
		return httperr.New(httperr.Invalid, "body is stage %d, path stage %d", in.ID, st.ID)
	case st.Machine == "":
		return httperr.New(httperr.Conflict, "stage %d was not accepted by a runner", st.ID)
	case in.Machine != "" && in.Machine != st.Machine:
		return httperr.New(httperr.Conflict, "stage %d is held by another runner", st.ID)
	}
	switch in.Status {
	case model.StatusPending, model.StatusRunning, model.StatusPassing, model.StatusFailing, model.StatusError,
		model.StatusKilled, model.StatusSkipped:
	default:
		return httperr.New(httperr.Invalid, "stage status %q is not pending, running, success, failure, error, killed or skipped", in.Status)
	}
	for i, x := range in.Steps {
		switch {
		case x.Number < 1:
			return httperr.New(httperr.Invalid, "step[%d] has no number", i)
		case x.StageID != 0 && x.StageID != st.ID:
			return httperr.New(httperr.Invalid, "step[%d] belongs to stage %d, not %d", i, x.StageID, st.ID)
		case !validStep(x.Status):
			return httperr.New(httperr.Invalid, "step[%d] status %q is not a step status", i, x.Status)
		}
	}
	return nil
}

func validStep(status string) bool {
	switch status {
	case model.StatusPending, model.StatusRunning, model.StatusPassing, model.StatusFailing, model.StatusError,
		model.StatusKilled, model.StatusSkipped:
		return true
	}
	return false
}

// finished drops the stage's live lines (the uploads replace them) and
// wakes what follows its steps.
func (s *Server) finished(ctx context.Context, st *model.Stage) {
	if err := s.store.DeleteLines(ctx, st.ID); err != nil {
		reqlog.From(ctx).Warn("dropping live log lines failed", slog.String("error", err.Error()))
	}
	s.bus.Publish(ctx, events.Build(st.BuildID))
}

func trunc(s string) string {
	r := []rune(s)
	if len(r) <= maxError {
		return s
	}
	return string(r[:maxError])
}
