package pipeline

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

func TestConditionMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cond Condition
		v    string
		want bool
	}{
		// drone-protocol.md §5.3 examples.
		{"feature/* matches one segment", Condition{Include: []string{"feature/*"}}, "feature/x", true},
		{"feature/* stops at slash", Condition{Include: []string{"feature/*"}}, "feature/x/y", false},
		{"feature* does not cross slash", Condition{Include: []string{"feature*"}}, "feature/x", false},
		{"refs/tags/** crosses segments", Condition{Include: []string{"refs/tags/**"}}, "refs/tags/a/b", true},
		{"* matches empty", Condition{Include: []string{"*"}}, "", true},
		{"master does not match empty", Condition{Include: []string{"master"}}, "", false},
		// Include/exclude semantics.
		{"no patterns matches all", Condition{}, "anything", true},
		{"include miss", Condition{Include: []string{"main"}}, "dev", false},
		{"exclude only, miss", Condition{Exclude: []string{"wip/*"}}, "main", true},
		{"exclude only, hit", Condition{Exclude: []string{"wip/*"}}, "wip/a", false},
		{"exclude wins over include", Condition{Include: []string{"*"}, Exclude: []string{"main"}}, "main", false},
		{"case-sensitive", Condition{Include: []string{"Main"}}, "main", false},
		{"whole string", Condition{Include: []string{"mai"}}, "main", false},
		{"alternation", Condition{Include: []string{"{main,dev}"}}, "dev", true},
		{"class", Condition{Include: []string{"v[0-9]"}}, "v1", true},
		{"negated class", Condition{Include: []string{"v[^0-9]"}}, "v1", false},
		{"question mark", Condition{Include: []string{"v?"}}, "v1", true},
		{"escape", Condition{Include: []string{`a\*`}}, "a*", true},
		{"invalid pattern matches nothing", Condition{Include: []string{"[a"}}, "[a", false},
		{"invalid exclude excludes nothing", Condition{Exclude: []string{"[a"}}, "x", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.cond.Match(tt.v); got != tt.want {
				t.Errorf("%+v.Match(%q) = %v, want %v", tt.cond, tt.v, got, tt.want)
			}
		})
	}
}

func TestConditionDecode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want Condition
	}{
		{"scalar", "branch: main", Condition{Include: []string{"main"}}},
		{"sequence", "branch: [main, dev]", Condition{Include: []string{"main", "dev"}}},
		{"mapping", "branch: {include: [main], exclude: [wip]}", Condition{Include: []string{"main"}, Exclude: []string{"wip"}}},
		{"scalar under include is dropped", "branch: {include: master}", Condition{}},
		{"scalar under include dropped, exclude kept", "branch: {include: master, exclude: [wip]}", Condition{Exclude: []string{"wip"}}},
		{"null", "branch: ~", Condition{}},
		{"number", "branch: 1", Condition{Include: []string{"1"}}},
		{"alias", "x: &x [a]\nbranch: *x", Condition{Include: []string{"a"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got Conditions
			if err := yaml.Unmarshal([]byte(tt.in), &got); err != nil {
				t.Fatalf("got error %v", err)
			}
			if d := cmp.Diff(tt.want, got.Branch); d != "" {
				t.Errorf("condition (-want +got):\n%s", d)
			}
			if tt.name == "scalar under include is dropped" && !got.Branch.Match("anything") {
				t.Errorf("got no match, want the dropped include to match everything")
			}
		})
	}
}

func TestConditionsMatch(t *testing.T) {
	t.Parallel()
	push := Values{Branch: "main", Event: "push", Ref: "refs/heads/main", Repo: "octo/api"}
	tests := []struct {
		name       string
		trigger    string
		v          Values
		want       bool
		wantFailed string
	}{
		{"empty trigger", "{}", push, true, ""},
		{"branch", "{branch: dev}", push, false, "branch"},
		{"event", "{event: tag}", push, false, "event"},
		{"action", "{action: opened}", push, false, "action"},
		{"ref", "{ref: refs/tags/*}", push, false, "ref"},
		{"repo", "{repo: octo/web}", push, false, "repo"},
		{"target", "{target: production}", push, false, "target"},
		{"cron include excludes other events", "{cron: nightly}", push, false, "cron"},
		{"branch checked first", "{event: tag, branch: dev}", push, false, "branch"},
		{"all match", "{branch: main, event: [push], repo: octo/*, ref: refs/heads/**}", push, true, ""},
		{"paths not evaluated", "{paths: [docs/**]}", push, true, ""},
		{"instance not evaluated", "{instance: other.example}", push, true, ""},
		{"status not evaluated", "{status: failure}", push, true, ""},
		{"promotion target", "{event: promote, target: prod*}", Values{Event: "promote", Target: "production"}, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var c Conditions
			if err := yaml.Unmarshal([]byte(tt.trigger), &c); err != nil {
				t.Fatal(err)
			}
			ok, failed := c.Match(tt.v)
			if ok != tt.want || failed != tt.wantFailed {
				t.Errorf("Match = %v, %q; want %v, %q", ok, failed, tt.want, tt.wantFailed)
			}
		})
	}
}

func TestConditionsStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		trigger              string
		onSuccess, onFailure bool
	}{
		{"{}", true, false},
		{"{status: [failure]}", false, true},
		{"{status: [success, failure]}", true, true},
		{"{status: {exclude: [success]}}", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.trigger, func(t *testing.T) {
			t.Parallel()
			var c Conditions
			if err := yaml.Unmarshal([]byte(tt.trigger), &c); err != nil {
				t.Fatal(err)
			}
			if got := [2]bool{c.OnSuccess(), c.OnFailure()}; got != [2]bool{tt.onSuccess, tt.onFailure} {
				t.Errorf("on_success, on_failure = %v, want %v", got, [2]bool{tt.onSuccess, tt.onFailure})
			}
		})
	}
}
