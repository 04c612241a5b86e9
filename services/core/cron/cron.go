// Package cron runs repositories' cron jobs: it parses their expressions
// and, every interval, claims the jobs that are due and fires them. The
// claim is a property of the database (a version check on each row, and
// on PostgreSQL an advisory lock), so with several replicas each job
// fires once per tick.
package cron

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	robfig "github.com/robfig/cron/v3"

	"github.com/hangar-ci/hangar/services/core/model"
)

// parser reads Drone's expressions: six fields with seconds first (five
// fields read as standard cron), or a descriptor such as @daily or
// @every 1h.
var parser = robfig.NewParser(robfig.SecondOptional | robfig.Minute | robfig.Hour | robfig.Dom | robfig.Month | robfig.Dow | robfig.Descriptor)

// Next returns when expr is next due after t.
func Next(expr string, t time.Time) (time.Time, error) {
	s, err := parser.Parse(expr)
	if err != nil {
		return time.Time{}, fmt.Errorf("cron expression %q: %w", expr, err)
	}
	return s.Next(t), nil
}

// Store claims due jobs (store.Store.ClaimDueCrons).
type Store interface {
	ClaimDueCrons(ctx context.Context, now int64, next func(*model.Cron) int64) ([]*model.Cron, error)
}

// Scheduler fires due cron jobs every Interval.
type Scheduler struct {
	Store    Store
	Interval time.Duration
	// Fire starts the build of a claimed job.
	Fire func(ctx context.Context, c *model.Cron) error
	Log  *slog.Logger
	Now  func() time.Time
}

// Run ticks until ctx ends.
func (s *Scheduler) Run(ctx context.Context) {
	t := time.NewTicker(s.Interval)
	defer t.Stop()
	for {
		s.Tick(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Tick claims the due jobs once and fires each; failures are logged and
// the job waits for its next time, as in Drone.
func (s *Scheduler) Tick(ctx context.Context) {
	now := s.Now()
	claimed, err := s.Store.ClaimDueCrons(ctx, now.Unix(), func(c *model.Cron) int64 {
		n, err := Next(c.Expr, now)
		if err != nil {
			return now.Add(24 * time.Hour).Unix() // unparsable: look again tomorrow
		}
		return n.Unix()
	})
	if err != nil && ctx.Err() == nil {
		s.Log.Warn("cron: claiming due jobs failed", slog.String("error", err.Error()))
	}
	if err != nil {
		return
	}
	for _, c := range claimed {
		if err := s.Fire(ctx, c); err != nil {
			s.Log.Warn("cron: job failed", slog.String("cron", c.Name), slog.Int64("repo_id", c.RepoID), slog.String("error", err.Error()))
		}
	}
}
