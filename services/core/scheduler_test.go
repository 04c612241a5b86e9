package core

import (
	"context"

	"github.com/hangar-ci/hangar/services/core/model"
)

// discardScheduler drops the trigger's queue signals: the trigger's tests
// check the stored stages, while the server schedules through its runner
// queue (package queue), which wakes the parked runner polls.
type discardScheduler struct{}

func (discardScheduler) Schedule(context.Context, *model.Stage) error { return nil }
