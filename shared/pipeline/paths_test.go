package pipeline

import (
	"fmt"
	"slices"
	"testing"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

// TestPathConditionMatch checks the matcher against Woodpecker's
// documented semantics (constraint/path.go: ignore_message, on_empty,
// exclude only when every file is excluded, include when any file is
// included) and the monorepo edge cases of issue 16.
func TestPathConditionMatch(t *testing.T) {
	t.Parallel()
	no, yes := false, true
	tests := []struct {
		name    string
		cond    PathCondition
		files   []string
		message string
		all     bool
		want    bool
		reason  string
	}{
		{name: "empty condition matches", cond: PathCondition{}, files: []string{"a"}, want: true},
		{name: "include any file", cond: PathCondition{Include: []string{"services/api/**"}}, files: []string{"web/x.ts", "services/api/x.go"}, want: true},
		{name: "include none", cond: PathCondition{Include: []string{"services/api/**"}}, files: []string{"web/x.ts"}, want: false, reason: "no change under services/api/**"},
		{name: "doublestar spans directories", cond: PathCondition{Include: []string{"**/*.go"}}, files: []string{"a/b/c/d.go"}, want: true},
		{name: "doublestar matches the root too", cond: PathCondition{Include: []string{"**/*.go"}}, files: []string{"main.go"}, want: true},
		{name: "star stays in one segment", cond: PathCondition{Include: []string{"services/*"}}, files: []string{"services/api/x.go"}, want: false, reason: "no change under services/*"},
		{name: "alternation", cond: PathCondition{Include: []string{"{web,docs}/**"}}, files: []string{"docs/a.md"}, want: true},
		{name: "case-sensitive", cond: PathCondition{Include: []string{"README.md"}}, files: []string{"readme.md"}, want: false, reason: "no change under README.md"},
		{name: "invalid pattern matches nothing", cond: PathCondition{Include: []string{"[a"}}, files: []string{"[a"}, want: false, reason: "no change under [a"},
		// Exclude vetoes only when every file is excluded.
		{name: "only excluded files", cond: PathCondition{Exclude: []string{"**/*.md"}}, files: []string{"a.md", "docs/b.md"}, want: false, reason: "every changed file is excluded by **/*.md"},
		{name: "one file not excluded", cond: PathCondition{Exclude: []string{"**/*.md"}}, files: []string{"a.md", "main.go"}, want: true},
		{name: "several exclude patterns cover all", cond: PathCondition{Exclude: []string{"**/*.md", "docs/**"}}, files: []string{"a.md", "docs/x.png"}, want: false, reason: "every changed file is excluded by **/*.md, docs/**"},
		// Woodpecker: include is checked over all files, excluded ones too.
		{name: "include hits an excluded file while another is not excluded", cond: PathCondition{Include: []string{"services/**"}, Exclude: []string{"**/*.md"}}, files: []string{"services/a.md", "web/x.ts"}, want: true},
		{name: "include and exclude, all excluded", cond: PathCondition{Include: []string{"services/**"}, Exclude: []string{"**/*.md"}}, files: []string{"services/a.md"}, want: false, reason: "every changed file is excluded by **/*.md"},
		// Empty commit: on_empty.
		{name: "empty commit runs by default", cond: PathCondition{Include: []string{"services/**"}}, files: nil, want: true},
		{name: "empty commit with on_empty false", cond: PathCondition{Include: []string{"services/**"}, OnEmpty: &no}, files: nil, want: false, reason: "no changed files (on_empty: false)"},
		{name: "empty commit with on_empty true", cond: PathCondition{Exclude: []string{"**"}, OnEmpty: &yes}, files: nil, want: true},
		{name: "exclude-only on empty commit runs", cond: PathCondition{Exclude: []string{"**/*.md"}}, files: nil, want: true},
		// Renames appear under both paths.
		{name: "rename matched by old path", cond: PathCondition{Include: []string{"services/api/**"}}, files: []string{"services/api/old.go", "lib/new.go"}, want: true},
		{name: "rename matched by new path", cond: PathCondition{Include: []string{"lib/**"}}, files: []string{"services/api/old.go", "lib/new.go"}, want: true},
		// ignore_message.
		{name: "ignore_message forces a match", cond: PathCondition{Include: []string{"services/**"}, IgnoreMessage: "[ALL]"}, files: []string{"web/x"}, message: "fix: thing [all]", want: true},
		{name: "ignore_message absent", cond: PathCondition{Include: []string{"services/**"}, IgnoreMessage: "[ALL]"}, files: []string{"web/x"}, message: "fix", want: false, reason: "no change under services/**"},
		// Fail open.
		{name: "incomplete list matches", cond: PathCondition{Include: []string{"services/**"}}, files: []string{"web/x"}, all: true, want: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ch := &Changes{Files: tc.files, Message: tc.message, All: tc.all}
			got, why := tc.cond.Match(ch)
			if got != tc.want || why != tc.reason {
				t.Errorf("Match(%q) = %v, %q; want %v, %q", tc.files, got, why, tc.want, tc.reason)
			}
			// The memo answers the same the second time.
			if again, _ := tc.cond.Match(ch); again != got {
				t.Errorf("second Match = %v, want %v", again, got)
			}
		})
	}
	t.Run("nil changes match: Drone does not evaluate paths", func(t *testing.T) {
		t.Parallel()
		c := PathCondition{Include: []string{"x"}, OnEmpty: &no}
		if ok, _ := c.Match(nil); !ok {
			t.Error("Match(nil) = false, want true")
		}
	})
}

func TestPathConditionDecode(t *testing.T) {
	t.Parallel()
	no := false
	tests := []struct {
		name string
		in   string
		want PathCondition
	}{
		{"string", "paths: services/api/**", PathCondition{Include: []string{"services/api/**"}}},
		{"list", "paths: [a/**, b/**]", PathCondition{Include: []string{"a/**", "b/**"}}},
		{"mapping", "paths: {include: [a/**], exclude: [a/*.md]}", PathCondition{Include: []string{"a/**"}, Exclude: []string{"a/*.md"}}},
		{"scalar include and exclude", "paths: {include: a/**, exclude: '*.md'}", PathCondition{Include: []string{"a/**"}, Exclude: []string{"*.md"}}},
		{"on_empty and ignore_message", "paths: {include: [a], on_empty: false, ignore_message: '[all]'}", PathCondition{Include: []string{"a"}, OnEmpty: &no, IgnoreMessage: "[all]"}},
		{"alias", "x: &p [a/**]\npaths: *p", PathCondition{Include: []string{"a/**"}}},
		{"undecodable part is dropped", "paths: {include: {a: b}, exclude: [c]}", PathCondition{Exclude: []string{"c"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got struct {
				Paths PathCondition `yaml:"paths"`
			}
			if err := yaml.Unmarshal([]byte(tc.in), &got); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got.Paths); d != "" {
				t.Errorf("decode %q (-want +got):\n%s", tc.in, d)
			}
		})
	}
}

const monorepo = `kind: pipeline
name: api
trigger:
  paths: services/api/**
steps:
- name: test
  image: golang
- name: docs
  image: alpine
  when:
    paths:
      include: [services/api/docs/**]
---
kind: pipeline
name: web
trigger:
  paths:
    include: [web/**]
steps:
- name: test
  image: node
---
kind: pipeline
name: deploy
depends_on: [api, web]
steps:
- name: go
  image: alpine
`

// TestPlanPaths skips pipelines and steps whose paths do not match, keeps
// the DAG transparent over skipped pipelines, and leaves everything on
// when changes are not evaluated or the list is incomplete.
func TestPlanPaths(t *testing.T) {
	t.Parallel()
	m, err := Parse([]byte(monorepo))
	if err != nil {
		t.Fatal(err)
	}
	if !m.UsesPaths() {
		t.Fatal("UsesPaths = false, want true")
	}
	tests := []struct {
		name    string
		changes *Changes
		want    string
	}{
		{"api only", &Changes{Files: []string{"services/api/x.go"}}, "api[-docs: no change under services/api/docs/**] deploy<-api | skipped web: no change under web/**"},
		{"web only", &Changes{Files: []string{"web/app.ts"}}, "web deploy<-web | skipped api: no change under services/api/**"},
		{"both", &Changes{Files: []string{"web/app.ts", "services/api/docs/a.md"}}, "api web deploy<-api,web | skipped "},
		{"not evaluated", nil, "api web deploy<-api,web | skipped "},
		{"incomplete list", &Changes{All: true}, "api web deploy<-api,web | skipped "},
		{"neither", &Changes{Files: []string{"README.md"}}, "deploy | skipped api: no change under services/api/**; web: no change under web/**"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			plan, err := m.Plan(Values{Event: "push", Branch: "main", Changes: tc.changes})
			if err != nil {
				t.Fatal(err)
			}
			if got := describePlan(plan); got != tc.want {
				t.Errorf("plan:\ngot  %s\nwant %s", got, tc.want)
			}
		})
	}
	plain, err := Parse([]byte("kind: pipeline\nname: a\nsteps:\n- name: s\n  image: x\n"))
	if err != nil {
		t.Fatal(err)
	}
	if plain.UsesPaths() {
		t.Error("UsesPaths of a manifest without paths = true, want false")
	}
}

func describePlan(p *Plan) string {
	var s string
	for _, st := range p.Stages {
		s += st.Name
		for _, sk := range st.SkippedSteps {
			s += fmt.Sprintf("[-%s: %s]", sk.Name, sk.Reason)
		}
		if len(st.DependsOn) > 0 {
			s += "<-"
			for i, d := range st.DependsOn {
				if i > 0 {
					s += ","
				}
				s += d
			}
		}
		s += " "
	}
	s += "| skipped "
	for i, sk := range p.Skipped {
		if i > 0 {
			s += "; "
		}
		s += sk.Pipeline.Name + ": " + sk.Reason
	}
	return s
}

// TestAnyFileAgreesWithDoublestar checks the prefix search against
// matching every file one by one.
func TestAnyFileAgreesWithDoublestar(t *testing.T) {
	t.Parallel()
	files := []string{"a", "a/b.go", "a/b/c.md", "ab", "lib", "lib/x", "x*y", "x/y/z.go", "{a}", "services/api/x.go", "services/apix/y.go"}
	patterns := []string{"a/**", "a", "a/*", "a*", "lib/**", `x\*y`, "x/**/*.go", "**/*.go", "{a,lib}/**", "services/api/**", "services/api*/**",
		"services/api", "[a", "\\{a}", "?", "*", "**", "", "z/**"}
	slices.Sort(files) // anyFile's contract
	for _, p := range patterns {
		want := false
		for _, f := range files {
			if ok, _ := doublestar.Match(p, f); ok {
				want = true
			}
		}
		if got := anyFile(p, files); got != want {
			t.Errorf("anyFile(%q) = %v, doublestar over every file says %v", p, got, want)
		}
	}
}
