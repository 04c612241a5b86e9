package core

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/drone/drone-go/drone"
	"github.com/drone/drone-go/plugin/converter"
	"github.com/drone/drone-go/plugin/validator"

	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/shared/pipeline"
)

// capture is a validator that keeps the YAML it is asked about: the
// converted file, exactly as runners will receive it.
type capture struct {
	mu   sync.Mutex
	data string
}

func (c *capture) validator() *fakeValidate {
	return &fakeValidate{validate: func(r *validator.Request) error {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.data = r.Config.Data
		return nil
	}}
}

// stepRuns says whether a step's when block matches a build, as a runner
// decides it (branch against the target, event).
func stepRuns(t *testing.T, data, pipe, step string, v pipeline.Values) bool {
	t.Helper()
	m, err := pipeline.Parse([]byte(data))
	if err != nil {
		t.Fatalf("converted YAML does not parse: %v\n%s", err, data)
	}
	for _, p := range m.Pipelines() {
		for _, s := range p.Steps {
			if p.Name == pipe && s.Name == step {
				return s.When.Branch.Match(v.Branch) && s.When.Event.Match(v.Event)
			}
		}
	}
	t.Fatalf("no step %s/%s in\n%s", pipe, step, data)
	return false
}

// TestTriggerDrone08Seed runs seed 003's Drone 0.8 file through the
// trigger: converted at step 8, the top-level branches keep develop and
// test/* out entirely, backend runs for push and pull_request on master,
// docker on every built branch.
func TestTriggerDrone08Seed(t *testing.T) {
	t.Parallel()
	seed, err := os.ReadFile("../../shared/pipeline/foreign/testdata/seed003.yml")
	if err != nil {
		t.Fatal(err)
	}
	pass := &fakeConvert{convert: func(*converter.Request) (*drone.Config, error) { return nil, nil }}
	tests := []struct {
		name          string
		hook          *model.Hook
		wantBuild     bool
		backend, dock bool
	}{
		{"push to master", &model.Hook{Trigger: "@hook", Event: "push", Ref: "refs/heads/master", Target: "master", After: "a", Message: "m"}, true, true, true},
		{"merge request into master", &model.Hook{Trigger: "@hook", Event: "pull_request", Action: "opened", Ref: "refs/merge-requests/1/head", Target: "master", Fork: "octo/hello", After: "a", Message: "m"}, true, true, true},
		{"push to feature branch", &model.Hook{Trigger: "@hook", Event: "push", Ref: "refs/heads/feature/x", Target: "feature/x", After: "a", Message: "m"}, true, false, true},
		{"push to develop", &model.Hook{Trigger: "@hook", Event: "push", Ref: "refs/heads/develop", Target: "develop", After: "a", Message: "m"}, false, false, false},
		{"push to test/x", &model.Hook{Trigger: "@hook", Event: "push", Ref: "refs/heads/test/x", Target: "test/x", After: "a", Message: "m"}, false, false, false},
		{"push to another branch", &model.Hook{Trigger: "@hook", Event: "push", Ref: "refs/heads/hotfix", Target: "hotfix", After: "a", Message: "m"}, false, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := &capture{}
			f := newFixture(t, constConfig(string(seed)), pass, c.validator(), noWebhook{})
			b, _, err := f.t.trigger(context.Background(), f.repo, tc.hook)
			if err != nil {
				t.Fatal(err)
			}
			if got := b != nil; got != tc.wantBuild {
				t.Fatalf("got build %v (%+v), want %v", got, b, tc.wantBuild)
			}
			if !tc.wantBuild {
				return
			}
			if b.Status != model.StatusPending {
				t.Fatalf("got build status %q (error %q), want pending", b.Status, b.Error)
			}
			stages, err := f.store.ListStages(context.Background(), b.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(stages) != 1 || stages[0].Name != "default" || stages[0].Status != model.StatusPending || stages[0].Type != "docker" {
				t.Fatalf("got stored stages %+v, want one pending docker stage named default", stages)
			}
			v := pipeline.Values{Branch: tc.hook.Target, Event: tc.hook.Event}
			if got := stepRuns(t, c.data, "default", "backend", v); got != tc.backend {
				t.Errorf("backend runs: got %v, want %v", got, tc.backend)
			}
			if got := stepRuns(t, c.data, "default", "docker", v); got != tc.dock {
				t.Errorf("docker runs: got %v, want %v", got, tc.dock)
			}
		})
	}
}

// TestTriggerForeignFormats converts a GitLab CI file named by the
// repository's config path, and makes an error build naming the keys of a
// file that cannot be converted.
func TestTriggerForeignFormats(t *testing.T) {
	t.Parallel()
	pass := &fakeConvert{convert: func(*converter.Request) (*drone.Config, error) { return nil, nil }}
	ok := &fakeValidate{validate: func(*validator.Request) error { return nil }}
	gitlab := "image: golang:1.22\nstages: [build, test]\nbuild:\n  stage: build\n  script: go build\nunit:\n  stage: test\n  script: go test\nvet:\n  stage: test\n  script: go vet\n"
	tests := []struct {
		name, config, data  string
		wantStatus, wantErr string
		wantStages          []string
	}{
		{"gitlab ci", ".gitlab-ci.yml", gitlab, "pending", "", []string{"build:pending", "unit:waiting_on_dependencies", "vet:waiting_on_dependencies"}},
		{"gitlab ci by name only", ".drone.yml", gitlab, "error", "missing kind", nil},
		{"unsupported gitlab keys", ".gitlab-ci.yml", "include: x.yml\nbuild:\n  image: a\n  script: b\n  cache: {paths: [x]}\n", "error", "line 1: include: is not supported; line 5: build.cache: is not supported", nil},
		{"gitlab rule on the default branch", ".gitlab-ci.yml", "image: a\nmain-only:\n  script: x\n  rules:\n    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH\nelsewhere:\n  script: y\n  except: [main]\n", "pending", "", []string{"main-only:pending"}},
		{"drone 0.8 matrix", ".drone.yml", "pipeline:\n  t:\n    image: golang:${GO}\nmatrix:\n  GO: ['1.21', '1.22']\n", "pending", "", []string{"matrix-1:pending", "matrix-2:pending"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, constConfig(tc.data), pass, ok, noWebhook{})
			f.repo.Config, f.repo.Branch = tc.config, "main"
			b, stages, err := f.t.trigger(context.Background(), f.repo, pushHook())
			if err != nil || b == nil {
				t.Fatalf("got %v, %v; want a build", b, err)
			}
			if b.Status != tc.wantStatus || !strings.Contains(b.Error, tc.wantErr) {
				t.Fatalf("got %s build with error %q, want %s with %q", b.Status, b.Error, tc.wantStatus, tc.wantErr)
			}
			var got []string
			for _, s := range stages {
				got = append(got, s.Name+":"+s.Status)
			}
			if strings.Join(got, ",") != strings.Join(tc.wantStages, ",") {
				t.Errorf("stages: got %v, want %v", got, tc.wantStages)
			}
		})
	}
}
