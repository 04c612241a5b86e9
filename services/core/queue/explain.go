package queue

import (
	"slices"

	"github.com/hangar-ci/hangar/services/core/model"
)

// Explain says why each stage (oldest first; pending, running, waiting on
// dependencies or blocked) is where it is:
// "" for a stage a runner holds or may take now, else the reason it waits.
// Runners are those that polled this process in the last two minutes.
func (q *Queue) Explain(queue []*model.Stage) []string {
	q.mu.Lock()
	var filters []Filter
	for _, s := range q.runners {
		if q.now().Sub(s.at) <= runnerMemory {
			filters = append(filters, s.filter)
		}
	}
	q.mu.Unlock()
	var active []*model.Stage // what limits count: pending and running
	for _, st := range queue {
		if st.Status == model.StatusPending || st.Status == model.StatusRunning {
			active = append(active, st)
		}
	}
	out := make([]string, len(queue))
	for i, st := range queue {
		out[i] = explain(st, active, filters)
	}
	return out
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

func sortedLabels(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}
