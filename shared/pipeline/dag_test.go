package pipeline

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestDAGDependencies(t *testing.T) {
	t.Parallel()
	type vx struct {
		name string
		deps []string
		skip bool
	}
	tests := []struct {
		name   string
		graph  []vx
		lookup string
		want   []string
	}{
		{"direct", []vx{{"a", nil, false}, {"b", []string{"a"}, false}}, "b", []string{"a"}},
		{"skipped dependency re-pointed", []vx{{"a", nil, false}, {"b", []string{"a"}, true}, {"c", []string{"b"}, false}}, "c", []string{"a"}},
		{"recursively", []vx{{"a", nil, false}, {"b", []string{"a"}, true}, {"c", []string{"b"}, true}, {"d", []string{"c"}, false}}, "d", []string{"a"}},
		{"skipped root leaves none", []vx{{"a", nil, true}, {"b", []string{"a"}, false}}, "b", nil},
		{"unknown dropped", []vx{{"a", nil, false}, {"b", []string{"a", "ghost"}, false}}, "b", []string{"a"}},
		{"duplicates kept", []vx{{"a", nil, false}, {"b", []string{"a"}, true}, {"c", []string{"a", "b"}, false}}, "c", []string{"a", "a"}},
		{"unknown vertex", []vx{{"a", nil, false}}, "default", nil},
		{"cycle does not hang", []vx{{"a", []string{"b"}, true}, {"b", []string{"a"}, true}, {"c", []string{"a"}, false}}, "c", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := NewDAG()
			for _, v := range tt.graph {
				d.Add(v.name, v.deps...).Skip = v.skip
			}
			if diff := cmp.Diff(tt.want, d.Dependencies(tt.lookup), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Dependencies(%q) (-want +got):\n%s", tt.lookup, diff)
			}
		})
	}
}

func TestDAGCycle(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		edges map[string][]string
		order []string
		want  []string
	}{
		{"none", map[string][]string{"a": nil, "b": {"a"}}, []string{"a", "b"}, nil},
		{"diamond is not a cycle", map[string][]string{"a": nil, "b": {"a"}, "c": {"a"}, "d": {"b", "c"}}, []string{"a", "b", "c", "d"}, nil},
		{"self", map[string][]string{"a": {"a"}}, []string{"a"}, []string{"a", "a"}},
		{"two", map[string][]string{"a": {"b"}, "b": {"a"}}, []string{"a", "b"}, []string{"a", "b", "a"}},
		{"three behind a tail", map[string][]string{"t": {"a"}, "a": {"b"}, "b": {"c"}, "c": {"a"}}, []string{"t", "a", "b", "c"}, []string{"a", "b", "c", "a"}},
		{"unknown ignored", map[string][]string{"a": {"ghost"}}, []string{"a"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := NewDAG()
			for _, n := range tt.order {
				d.Add(n, tt.edges[n]...)
			}
			if diff := cmp.Diff(tt.want, d.Cycle()); diff != "" {
				t.Errorf("Cycle (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlan(t *testing.T) {
	t.Parallel()
	in := `kind: pipeline
name: lint
---
kind: pipeline
name: docs
depends_on: [lint]
trigger: {branch: docs/*}
---
kind: pipeline
name: test
depends_on: [docs]
---
kind: pipeline
name: notify
depends_on: [test]
trigger: {status: [success, failure]}
---
kind: pipeline
depends_on: [lint]
---
kind: secret
name: s
data: x
`
	m, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	plan, err := m.Plan(Values{Branch: "main", Event: "push"})
	if err != nil {
		t.Fatal(err)
	}
	type stage struct {
		Name                 string
		DependsOn            []string
		OnSuccess, OnFailure bool
	}
	var got []stage
	for _, s := range plan.Stages {
		got = append(got, stage{s.Name, s.DependsOn, s.OnSuccess, s.OnFailure})
	}
	want := []stage{
		{"lint", nil, true, false},
		{"test", []string{"lint"}, true, false},
		{"notify", []string{"test"}, true, true},
		// Drone's quirk: the unnamed pipeline is looked up as "default".
		{"default", nil, true, false},
	}
	if d := cmp.Diff(want, got, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("stages (-want +got):\n%s", d)
	}
	if len(plan.Skipped) != 1 || plan.Skipped[0].Pipeline.Name != "docs" || plan.Skipped[0].Condition != "branch" {
		t.Errorf("skipped = %+v, want docs skipped on branch", plan.Skipped)
	}
}

func TestPlanCycle(t *testing.T) {
	t.Parallel()
	m, err := Parse([]byte("kind: pipeline\nname: a\ndepends_on: [b]\n---\nkind: pipeline\nname: b\ndepends_on: [a]\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Plan(Values{})
	if !errors.Is(err, ErrCycle) || err.Error() != "Error: Dependency cycle detected in Pipeline" {
		t.Errorf("got %v, want Drone's cycle error", err)
	}
}
