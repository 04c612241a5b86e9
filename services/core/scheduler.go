package core

import (
	"context"
	"sync/atomic"

	"github.com/hangar-ci/hangar/services/core/model"
)

// signalScheduler counts Drone's queue signals and drops them: what the
// trigger's tests schedule through. The server schedules through its
// runner queue (package queue), which wakes the parked runner polls.
type signalScheduler struct {
	wake      chan struct{}
	scheduled atomic.Int64
}

func newSignalScheduler() *signalScheduler {
	return &signalScheduler{wake: make(chan struct{}, 1)}
}

func (s *signalScheduler) Schedule(ctx context.Context, st *model.Stage) error {
	s.scheduled.Add(1)
	select {
	case s.wake <- struct{}{}:
	default: // a wake-up is already pending
	}
	return nil
}
