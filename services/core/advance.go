package core

import (
	"context"
	"errors"
	"log/slog"

	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/services/core/store"
	"github.com/hangar-ci/hangar/shared/reqlog"
)

// A runner's report moves a stage; the build follows as Drone's manager
// moves it (drone-protocol.md §4.4). Reports arrive through the runner
// protocol (package rpc, via lifecycle) or the admin API; several stages
// of one build may report at once, so a concurrent change of the build or
// of a downstream stage is expected, not an error.

// startStage records a stage as running; the build becomes running with
// it, and that transition sets the commit status.
func (s *service) startStage(ctx context.Context, repo *model.Repo, b *model.Build, st *model.Stage, now int64) error {
	st.Status, st.Updated = model.StatusRunning, now
	if st.Started == 0 {
		st.Started = now
	}
	if err := s.store.UpdateStage(ctx, st); err != nil {
		return err
	}
	if b.Status != model.StatusPending {
		return nil
	}
	b.Status, b.Started, b.Updated = model.StatusRunning, now, now
	if err := s.store.UpdateBuild(ctx, b); err != nil {
		// A parallel stage may have started (or a cancel ended) the build
		// first: that is no failure of this stage.
		if cur, ferr := s.store.FindBuildID(ctx, b.ID); errors.Is(err, store.ErrConflict) && ferr == nil && cur.Status != model.StatusPending {
			*b = *cur
			return nil
		}
		return err
	}
	s.trigger.statuses.send(ctx, repo, b)
	return nil
}

// finishStage records a stage's final state and advances the build:
// waiting stages whose dependencies are done are skipped or scheduled,
// and a build with nothing left to run completes.
func (s *service) finishStage(ctx context.Context, repo *model.Repo, b *model.Build, stages []*model.Stage, st *model.Stage, now int64) error {
	if st.Started == 0 {
		st.Started = now
	}
	st.Stopped, st.Updated = now, now
	if err := s.store.UpdateStage(ctx, st); err != nil {
		return err
	}
	failed := false
	for _, x := range stages {
		failed = failed || model.Failed(x.Status)
	}
	// Cancel downstream: the build-wide failure flag, as Drone has it.
	for _, x := range stages {
		if x.Status != model.StatusWaiting || !depsDone(x, stages) {
			continue
		}
		if failed && !x.OnFailure || !failed && !x.OnSuccess {
			x.Status, x.Started, x.Stopped, x.Updated = model.StatusSkipped, now, now, now
			if err := s.store.UpdateStage(ctx, x); errors.Is(err, store.ErrConflict) {
				continue // a parallel teardown moved it first
			} else if err != nil {
				return err
			}
		}
	}
	// Schedule downstream.
	for _, x := range stages {
		if x.Status != model.StatusWaiting || len(x.DependsOn) == 0 || !depsDone(x, stages) {
			continue
		}
		x.Status, x.Updated = model.StatusPending, now
		if err := s.store.UpdateStage(ctx, x); errors.Is(err, store.ErrConflict) {
			continue // a parallel teardown scheduled it first
		} else if err != nil {
			return err
		}
		if err := s.trigger.sched.Schedule(ctx, x); err != nil {
			return err
		}
	}
	return s.complete(ctx, repo, b, stages, now)
}

// complete finishes the build when no stage is left to run: its status
// is the first killed, failure or error stage, else success.
func (s *service) complete(ctx context.Context, repo *model.Repo, b *model.Build, stages []*model.Stage, now int64) error {
	status := model.StatusPassing
	for _, x := range stages {
		switch x.Status {
		case model.StatusPending, model.StatusRunning, model.StatusWaiting, model.StatusDeclined, model.StatusBlocked:
			return nil
		case model.StatusKilled, model.StatusFailing, model.StatusError:
			if status == model.StatusPassing {
				status = x.Status
			}
		}
	}
	b.Status, b.Finished, b.Updated = status, now, now
	if b.Started == 0 {
		b.Started = now
	}
	if err := s.store.UpdateBuild(ctx, b); err != nil {
		// Another report completed it first: Drone stops silently too.
		reqlog.From(ctx).Info("build completed concurrently", slog.String("error", err.Error()))
		return nil
	}
	s.notify(ctx, repo, b, stages)
	s.trigger.statuses.send(ctx, repo, b)
	return nil
}

// depsDone reports whether every listed dependency that exists is done.
func depsDone(st *model.Stage, stages []*model.Stage) bool {
	for _, dep := range st.DependsOn {
		for _, x := range stages {
			if x.Name == dep && !model.Done(x.Status) {
				return false
			}
		}
	}
	return true
}
