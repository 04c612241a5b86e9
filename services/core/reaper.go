package core

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/hangar-ci/hangar/services/core/events"
	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/services/core/store"
	"github.com/hangar-ci/hangar/shared/sqldb"
)

// singleton runs fn on one replica at a time: under a PostgreSQL advisory
// lock named by key when the store is on PostgreSQL (a replica finding it
// taken skips this turn), else directly.
func (s *service) singleton(ctx context.Context, key int64, fn func(context.Context) error) error {
	h, ok := s.store.(interface{ DB() *sqldb.DB })
	if !ok {
		return fn(ctx)
	}
	_, err := h.DB().Singleton(ctx, key, fn)
	return err
}

// reap runs until ctx ends, every tick ending what no runner will finish:
// stages whose runner went silent and builds past their timeout. Every
// change is a version-checked update, and on PostgreSQL one replica at a
// time reaps (an advisory lock), so replicas change each stage once.
func (s *service) reap(ctx context.Context, log *slog.Logger) {
	o := s.opts.Runner.withDefaults()
	t := time.NewTicker(min(max(o.DeadRunner/4, time.Second), 30*time.Second))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := s.singleton(ctx, sqldb.LockReaper, func(ctx context.Context) error { return s.reapOnce(ctx, o.DeadRunner) })
		if err != nil && ctx.Err() == nil {
			log.Warn("reaper", slog.String("error", err.Error()))
		}
	}
}

// reapOnce releases stages accepted by a runner that went silent before
// starting them (the queue offers them again), ends in error the running
// stages of silent runners, and kills the running builds past their
// repository's timeout.
func (s *service) reapOnce(ctx context.Context, dead time.Duration) error {
	now := s.trigger.now()
	stale, err := s.store.ListStale(ctx, now.Add(-dead).Unix())
	if err != nil {
		return err
	}
	var errs []error
	for _, st := range stale {
		if err := s.reapStage(ctx, st, now); err != nil && !errors.Is(err, store.ErrConflict) {
			errs = append(errs, err)
		}
	}
	builds, err := s.store.ListRunningBuilds(ctx)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for _, b := range builds {
		if err := s.timeOut(ctx, b, now); err != nil && !errors.Is(err, store.ErrConflict) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (s *service) reapStage(ctx context.Context, st *model.Stage, now time.Time) error {
	if st.Status == model.StatusPending {
		if err := s.store.ReleaseStage(ctx, st, now.Unix()); err != nil {
			return err
		}
		return s.runners.bus.Publish(ctx, events.Queue)
	}
	st.Status = model.StatusError
	st.Error = "runner " + st.Machine + " not heard from since " + time.Unix(st.Beat, 0).UTC().Format(time.RFC3339) + ": stage abandoned"
	if err := (lifecycle{s}).Finish(ctx, st); err != nil {
		return err
	}
	if err := s.store.EndSteps(ctx, st.ID, model.StatusError, now.Unix()); err != nil {
		return err
	}
	if err := s.store.DeleteLines(ctx, st.ID); err != nil {
		return err
	}
	return s.runners.bus.Publish(ctx, events.Build(st.BuildID))
}

// timeOut kills a build running longer than its repository's timeout.
func (s *service) timeOut(ctx context.Context, b *model.Build, now time.Time) error {
	repo, err := s.store.FindRepo(ctx, b.RepoID)
	if err != nil {
		return err
	}
	timeout := repo.Timeout
	if timeout <= 0 {
		timeout = 60
	}
	if b.Started == 0 || now.Unix() < b.Started+timeout*60 {
		return nil
	}
	stages, err := s.store.ListStages(ctx, b.ID)
	if err != nil {
		return err
	}
	b.Error = "build timed out after " + (time.Duration(timeout) * time.Minute).String()
	return s.cancel(ctx, repo, b, stages)
}
