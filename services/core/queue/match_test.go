package queue

import (
	"context"
	"testing"

	"github.com/hangar-ci/hangar/services/core/model"
)

func TestMatches(t *testing.T) {
	t.Parallel()
	exec := Filter{Kind: "pipeline", Type: "exec", OS: "linux", Arch: "amd64"}
	stage := func(edit func(*model.Stage)) *model.Stage {
		s := &model.Stage{Kind: "pipeline", Type: "exec", OS: "linux", Arch: "amd64"}
		if edit != nil {
			edit(s)
		}
		return s
	}
	tests := []struct {
		name   string
		filter Filter
		stage  *model.Stage
		want   bool
	}{
		{"same kind, type and platform", exec, stage(nil), true},
		{"other type", exec, stage(func(s *model.Stage) { s.Type = "docker" }), false},
		{"empty type is docker on both sides", Filter{}, stage(func(s *model.Stage) { s.Type, s.Kind = "", "" }), true},
		{"docker runner, empty stage type", Filter{Type: "docker", OS: "linux", Arch: "amd64"}, stage(func(s *model.Stage) { s.Type = "" }), true},
		{"other arch", exec, stage(func(s *model.Stage) { s.Arch = "arm64" }), false},
		{"runner without platform takes any (kube)", Filter{Kind: "pipeline", Type: "exec"}, stage(func(s *model.Stage) { s.Arch = "arm64" }), true},
		{"stage variant must match", exec, stage(func(s *model.Stage) { s.Variant = "v8" }), false},
		{"runner variant alone is fine", Filter{Kind: "pipeline", Type: "exec", OS: "linux", Arch: "amd64", Variant: "v8"}, stage(nil), true},
		{"stage labels, runner none", exec, stage(func(s *model.Stage) { s.Labels = map[string]string{"pool": "gpu"} }), false},
		{"runner labels, stage none", Filter{Kind: "pipeline", Type: "exec", OS: "linux", Arch: "amd64", Labels: map[string]string{"pool": "gpu"}}, stage(nil), false},
		{"identical labels", Filter{Kind: "pipeline", Type: "exec", OS: "linux", Arch: "amd64", Labels: map[string]string{"pool": "gpu"}}, stage(func(s *model.Stage) { s.Labels = map[string]string{"pool": "gpu"} }), true},
		{"labels subset is no match", Filter{Kind: "pipeline", Type: "exec", OS: "linux", Arch: "amd64", Labels: map[string]string{"pool": "gpu", "a": "b"}}, stage(func(s *model.Stage) { s.Labels = map[string]string{"pool": "gpu"} }), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.filter.Matches(tt.stage); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestOverLimitAndExplain(t *testing.T) {
	t.Parallel()
	q := []*model.Stage{
		{ID: 1, RepoID: 1, Name: "deploy", Status: model.StatusRunning, Limit: 1, Machine: "m"},
		{ID: 2, RepoID: 1, Name: "deploy", Status: model.StatusPending, Limit: 1},
		{ID: 3, RepoID: 2, Name: "x", Status: model.StatusRunning, LimitRepo: 2, Machine: "m"},
		{ID: 4, RepoID: 2, Name: "y", Status: model.StatusPending, LimitRepo: 2},
		{ID: 5, RepoID: 2, Name: "z", Status: model.StatusPending, LimitRepo: 2},
		{ID: 6, RepoID: 3, Name: "w", Status: model.StatusWaiting},
		{ID: 7, RepoID: 3, Name: "b", Status: model.StatusBlocked},
		{ID: 8, RepoID: 3, Name: "gpu", Status: model.StatusPending, Labels: map[string]string{"pool": "gpu"}},
		{ID: 9, RepoID: 3, Name: "arm", Status: model.StatusPending, Arch: "arm64", OS: "linux"},
		{ID: 10, RepoID: 3, Name: "ok", Status: model.StatusPending, OS: "linux", Arch: "amd64"},
		{ID: 11, RepoID: 3, Name: "held", Status: model.StatusPending, Machine: "m2"},
	}
	for _, s := range q {
		if s.OS == "" {
			s.OS, s.Arch = "linux", "amd64"
		}
	}
	st := &memStore{}
	qu := New(st, nil, nil)
	ctx := context.Background()
	explain := func(stages []*model.Stage) []string {
		t.Helper()
		out, err := qu.Explain(ctx, stages)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if got := explain(q[:1])[0]; got != "" {
		t.Errorf("running stage: got %q, want no reason", got)
	}
	if got := explain(q[1:2])[0]; got != "no runner is polling" {
		t.Errorf("no runner: got %q", got)
	}
	qu.remember(ctx, Filter{Type: "docker", OS: "linux", Arch: "amd64"})
	want := []string{"", "over the pipeline's concurrency limit", "", "", "over the repository's throttle",
		"waiting on dependencies", "blocked: waiting for approval", "no runner with matching labels",
		"no runner of this kind, type and platform", "", "accepted by m2, not started yet"}
	got := explain(q)
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("stage %d (%s): got %q, want %q", q[i].ID, q[i].Name, got[i], want[i])
		}
	}
}
