package core

import (
	"context"
	"sync/atomic"

	"github.com/hangar-ci/hangar/services/core/model"
)

// signalScheduler is Drone's queue signal: scheduling only wakes whatever
// hands pending stages to runners, which reads them from the store. Hangar
// has no runner protocol yet, so the signal is counted and dropped when
// nobody listens.
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
