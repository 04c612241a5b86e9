package queue

import (
	"context"
	"encoding/json"

	"github.com/hangar-ci/hangar/services/core/model"
)

// Explain says why each stage (oldest first; pending, running, waiting on
// dependencies or blocked) is where it is: "" for a stage a runner holds
// or may take now, else the reason it waits ("queue paused" for every
// pending stage not yet accepted while an administrator paused the
// queue). Runners are those any replica saw polling in the last two
// minutes.
func (q *Queue) Explain(ctx context.Context, queue []*model.Stage) ([]string, error) {
	paused, err := q.store.QueuePaused(ctx)
	if err != nil {
		return nil, err
	}
	stored, err := q.store.ListRunners(ctx, q.now().Add(-runnerMemory).Unix())
	if err != nil {
		return nil, err
	}
	filters := make([]Filter, 0, len(stored))
	for _, s := range stored {
		var f Filter
		if json.Unmarshal([]byte(s), &f) == nil {
			filters = append(filters, f)
		}
	}
	var active []*model.Stage // what limits count: pending and running
	for _, st := range queue {
		if st.Status == model.StatusPending || st.Status == model.StatusRunning {
			active = append(active, st)
		}
	}
	out := make([]string, len(queue))
	for i, st := range queue {
		out[i] = explain(st, active, filters)
		if paused && st.Status == model.StatusPending && st.Machine == "" {
			out[i] = "queue paused"
		}
	}
	return out, nil
}

func explain(st *model.Stage, queue []*model.Stage, runners []Filter) string {
	switch {
	case st.Status == model.StatusRunning:
		return ""
	case st.Status == model.StatusWaiting:
		return "waiting on dependencies"
	case st.Status == model.StatusBlocked:
		return "blocked: waiting for approval"
	case st.Machine != "":
		return "accepted by " + st.Machine + ", not started yet"
	}
	if why := overLimit(st, queue); why != "" {
		return why
	}
	if len(runners) == 0 {
		return "no runner is polling"
	}
	for _, f := range runners {
		if f.Matches(st) {
			return ""
		}
	}
	for _, f := range runners {
		if (Filter{Kind: f.Kind, Type: f.Type, OS: f.OS, Arch: f.Arch, Variant: f.Variant, Kernel: f.Kernel, Labels: st.Labels}).Matches(st) {
			return "no runner with matching labels"
		}
	}
	return "no runner of this kind, type and platform"
}
