package convert

import (
	"context"
	"strings"
	"testing"

	"github.com/hangar-ci/hangar/shared/envconf"
	"github.com/hangar-ci/hangar/shared/pipeline"
	"github.com/hangar-ci/hangar/shared/scm"
	"github.com/hangar-ci/hangar/shared/scm/scmtest"
	"github.com/hangar-ci/hangar/shared/servicetest"
)

const pathsYAML = `kind: pipeline
name: api
trigger:
  paths: services/api/**
steps:
- name: test
  image: golang
- name: docs
  image: alpine
  when:
    paths: services/api/docs/**
---
kind: pipeline
name: web
trigger:
  paths: [web/**]
steps:
- name: test
  image: node
`

// TestPathsMode rewrites what Drone must skip for plain YAML, leaves
// protected repositories and incomplete lists alone, and answers 204 when
// nothing is skipped.
func TestPathsMode(t *testing.T) {
	t.Parallel()
	srv := scmtest.NewGitHub(t)
	h := srv.History
	h.Commit("octo/platform", "base", "")
	h.Commit("octo/platform", "api", "base", scmtest.Change{Path: "services/api/x.go"})
	h.Commit("octo/platform", "both", "api", scmtest.Change{Path: "web/a.ts"}, scmtest.Change{Path: "services/api/docs/a.md"})
	h.Commit("octo/platform", "big", "base", scmtest.Files("gen", 300)...)
	gh, err := scm.NewGitHub(srv.URL+"/api/v3/", "token", srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	opts := testOptions()
	opts.RepoFiles, opts.Paths = gh, true
	s := start(t, opts, sampleConfig(t))

	push := func(before, after string, protected bool) (string, error) {
		req := request(".drone.yml", pathsYAML, "push")
		req.Build.Before, req.Build.After, req.Repo.Protected = before, after, protected
		out, err := s.convert(context.Background(), req)
		if err != nil || out == nil {
			return "", err
		}
		return out.Data, nil
	}
	out, err := push("base", "api", false)
	if err != nil || out == "" {
		t.Fatalf("got %q, %v; want a rewritten file", out, err)
	}
	m, err := pipeline.Parse([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	// Drone's own matching, which ignores paths, now skips web and docs.
	plan, err := m.Plan(pipeline.Values{Event: "push", Branch: "main", Ref: "refs/heads/main"})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Stages) != 1 || plan.Stages[0].Name != "api" || len(plan.Skipped) != 1 || plan.Skipped[0].Condition != "event" {
		t.Errorf("plan of the answer: %+v, want api run and web skipped by its event", plan)
	}
	for _, st := range m.Pipelines()[0].Steps {
		ok, _ := st.When.Match(pipeline.Values{Event: "push"})
		if ok != (st.Name == "test") {
			t.Errorf("step %s runs = %v", st.Name, ok)
		}
	}
	for _, tc := range []struct {
		name          string
		before, after string
		protected     bool
	}{
		{"nothing to skip", "api", "both", false},
		{"protected repository", "base", "api", true},
		{"compare at the cap", "base", "big", false},
	} {
		if out, err := push(tc.before, tc.after, tc.protected); err != nil || out != "" {
			t.Errorf("%s: got %q, %v; want 204 (Drone keeps its file)", tc.name, out, err)
		}
	}
	if strings.Contains(out, "kind: signature") {
		t.Error("a signature appeared")
	}
}

// TestPathsModeNeedsSCM refuses to start without a way to list changes.
func TestPathsModeNeedsSCM(t *testing.T) {
	t.Parallel()
	opts := testOptions()
	opts.Paths = true
	if _, err := New(opts, servicetest.Env(sampleConfig(t), nil)); err == nil || !strings.Contains(err.Error(), "HANGAR_CONVERT_PATHS") {
		t.Errorf("New = %v, want an error naming HANGAR_CONVERT_PATHS", err)
	}
}

// TestPathsModeFromEnv reads HANGAR_CONVERT_PATHS and takes the changed
// files from the SCM settings.
func TestPathsModeFromEnv(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DRONE_SECRET": testSecret, "HANGAR_CONVERT_PATHS": "true"}
	if _, err := FromEnv(envconf.Map(env), servicetest.Env(sampleConfig(t), nil)); err == nil || !strings.Contains(err.Error(), "HANGAR_SCM") {
		t.Errorf("without SCM settings: got %v, want an error naming HANGAR_SCM", err)
	}
	env["HANGAR_SCM"], env["HANGAR_GITLAB_TOKEN"] = "gitlab", "t"
	if _, err := FromEnv(envconf.Map(env), servicetest.Env(sampleConfig(t), nil)); err != nil {
		t.Errorf("with GitLab settings: %v", err)
	}
}
