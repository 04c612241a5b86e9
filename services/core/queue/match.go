// Package queue hands pending stages to polling runners as Drone's queue
// does (drone-protocol.md §4.3): oldest first, matching kind, type,
// platform and labels, within the pipeline's concurrency limit and the
// repository's throttle. A stage goes to one poller only: the offer is one
// conditional UPDATE in the store, so pollers on other replicas cannot get
// it too.
package queue

import (
	"maps"

	"github.com/hangar-ci/hangar/services/core/model"
)

// Filter is what a runner asks for (runner-go's client.Filter).
type Filter struct {
	Kind    string            `json:"kind"`
	Type    string            `json:"type"`
	OS      string            `json:"os"`
	Arch    string            `json:"arch"`
	Variant string            `json:"variant"`
	Kernel  string            `json:"kernel"`
	Labels  map[string]string `json:"labels,omitempty"`
}

// Matches reports whether a runner asking with f may run st: kind and type
// equal (empty meaning pipeline and docker on both sides); when the runner
// names a platform, os and arch equal, and variant and kernel equal where
// the stage sets them; the two label sets identical.
func (f Filter) Matches(st *model.Stage) bool {
	if or(f.Kind, "pipeline") != or(st.Kind, "pipeline") || or(f.Type, "docker") != or(st.Type, "docker") {
		return false
	}
	if f.OS != "" || f.Arch != "" || f.Variant != "" || f.Kernel != "" {
		if f.OS != st.OS || f.Arch != st.Arch {
			return false
		}
		if st.Variant != "" && st.Variant != f.Variant || st.Kernel != "" && st.Kernel != f.Kernel {
			return false
		}
	}
	return sameLabels(f.Labels, st.Labels)
}

func sameLabels(a, b map[string]string) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return maps.Equal(a, b)
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// overLimit says why st must wait for other stages of the queue (listed
// oldest first, pending and running): the pipeline's concurrency limit
// counts the repository's unfinished stages of the same name ahead of
// it, the repository's throttle all of its unfinished stages ahead of it.
// It returns "" when st may run.
func overLimit(st *model.Stage, queue []*model.Stage) string {
	if st.Limit <= 0 && st.LimitRepo <= 0 {
		return ""
	}
	sameName, sameRepo := 0, 0
	for _, x := range queue {
		if x.ID >= st.ID || x.RepoID != st.RepoID {
			continue
		}
		sameRepo++
		if x.Name == st.Name {
			sameName++
		}
	}
	switch {
	case st.Limit > 0 && sameName >= st.Limit:
		return "over the pipeline's concurrency limit"
	case st.LimitRepo > 0 && sameRepo >= st.LimitRepo:
		return "over the repository's throttle"
	}
	return ""
}
