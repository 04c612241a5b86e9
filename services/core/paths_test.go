package core

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/drone/drone-go/drone"
	"github.com/drone/drone-go/plugin/converter"
	"github.com/drone/drone-go/plugin/validator"

	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/shared/pipeline"
	"github.com/hangar-ci/hangar/shared/scm"
)

// TestRunnerConfig disables for the runners the steps a path condition
// skipped, and keeps a file without such steps byte for byte.
func TestRunnerConfig(t *testing.T) {
	t.Parallel()
	m, err := pipeline.Parse([]byte(monorepoYAML))
	if err != nil {
		t.Fatal(err)
	}
	plan, err := m.Plan(pipeline.Values{Event: "push", Branch: "main", Changes: &pipeline.Changes{Files: []string{"services/api/x.go"}}})
	if err != nil {
		t.Fatal(err)
	}
	out := runnerConfig(context.Background(), monorepoYAML, plan)
	rm, err := pipeline.Parse([]byte(out))
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, p := range rm.Pipelines() {
		for _, s := range p.Steps {
			// What a runner decides: the step's when against the build.
			ok, _ := s.When.Match(pipeline.Values{Event: "push", Branch: "main"})
			if want := !(p.Name == "api" && s.Name == "docs"); ok != want {
				t.Errorf("runner would run %s/%s = %v, want %v", p.Name, s.Name, ok, want)
			}
		}
	}
	plain, err := m.Plan(pipeline.Values{Event: "push", Branch: "main", Changes: &pipeline.Changes{Files: []string{"services/api/docs/a.md"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := runnerConfig(context.Background(), monorepoYAML, plain); got != monorepoYAML {
		t.Errorf("nothing skipped, file changed:\n%s", got)
	}
	if strings.Contains(out, "paths: services/api/docs/**") {
		t.Errorf("the skipped step keeps its paths condition:\n%s", out)
	}
}

// TestTriggerPathsNoDiff applies on_empty to events without a diff, and
// fails open, with the reason, when the SCM cannot list changes.
func TestTriggerPathsNoDiff(t *testing.T) {
	t.Parallel()
	const file = `kind: pipeline
name: always
trigger:
  paths: services/**
steps:
- name: s
  image: alpine
---
kind: pipeline
name: changes-only
trigger:
  paths:
    include: [services/**]
    on_empty: false
steps:
- name: s
  image: alpine
`
	pass := &fakeConvert{convert: func(*converter.Request) (*drone.Config, error) { return nil, nil }}
	ok := &fakeValidate{validate: func(*validator.Request) error { return nil }}
	for _, tc := range []struct {
		name    string
		changer scm.Changer
		want    string
		note    string
	}{
		{"tag: no diff, on_empty decides", changerFunc(func(r scm.ChangeRequest) (*scm.ChangeSet, error) {
			return &scm.ChangeSet{NoDiff: true, Note: r.Event + " builds have no diff"}, nil
		}), "always", "tag builds have no diff"},
		{"SCM down: everything runs", changerFunc(func(scm.ChangeRequest) (*scm.ChangeSet, error) {
			return nil, errors.New("github: 502 Bad Gateway")
		}), "always,changes-only", "changed files unavailable: github: 502 Bad Gateway"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, constConfig(file), pass, ok, noWebhook{})
			f.t.paths = &pathFilter{changers: map[string]scm.Changer{"github": tc.changer}, store: f.store}
			h := &model.Hook{Trigger: "@hook", Event: "tag", Action: "create", Ref: "refs/tags/v1", After: "abc", Message: "m"}
			b, stages, err := f.t.trigger(context.Background(), f.repo, h)
			if err != nil || b == nil {
				t.Fatalf("got %v, %v; want a build", b, err)
			}
			var names []string
			for _, s := range stages {
				names = append(names, s.Name)
			}
			if got := strings.Join(names, ","); got != tc.want {
				t.Errorf("stages %s, want %s", got, tc.want)
			}
			rep, err := f.store.FindPathReport(context.Background(), b.ID)
			if err != nil || rep.Note != tc.note {
				t.Errorf("report %+v, %v; want note %q", rep, err, tc.note)
			}
		})
	}
}

type changerFunc func(scm.ChangeRequest) (*scm.ChangeSet, error)

func (f changerFunc) Changes(_ context.Context, r scm.ChangeRequest) (*scm.ChangeSet, error) {
	return f(r)
}
