package foreign

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hangar-ci/hangar/shared/pipeline"
)

// TestDrone08Constructs converts each construct of the 0.8 format, as the
// 0.8 documentation describes it, and checks the Drone 1.x result.
func TestDrone08Constructs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		src   string
		check func(t *testing.T, m *pipeline.Manifest, r *Result)
	}{
		{
			name: "steps and plugin settings",
			src:  "pipeline:\n  build:\n    image: golang:1.10\n    commands: [go build, go test]\n  publish:\n    image: plugins/docker\n    repo: octo/app\n    tags: [latest, '1.0']\n    dry_run: true\n",
			check: func(t *testing.T, m *pipeline.Manifest, _ *Result) {
				p := pipelineNamed(t, m, "default")
				if got, want := names(p.Steps), "build,publish"; got != want {
					t.Errorf("steps: got %s, want %s", got, want)
				}
				b, pub := step(t, p, "build"), step(t, p, "publish")
				if got := strings.Join(b.Commands, ";"); got != "go build;go test" || b.Settings != nil {
					t.Errorf("build: got commands %q settings %v", got, b.Settings)
				}
				if pub.Settings["repo"].Value != "octo/app" || fmt.Sprint(pub.Settings["tags"].Value) != "[latest 1.0]" || pub.Settings["dry_run"].Value != true {
					t.Errorf("publish settings: got %+v", pub.Settings)
				}
			},
		},
		{
			name: "services",
			src:  "pipeline:\n  test:\n    image: golang\n    commands: [go test]\nservices:\n  database:\n    image: mysql:5.7\n    environment:\n      MYSQL_DATABASE: test\n  cache:\n    image: redis\n",
			check: func(t *testing.T, m *pipeline.Manifest, _ *Result) {
				p := pipelineNamed(t, m, "default")
				if got, want := names(p.Services), "database,cache"; got != want {
					t.Fatalf("services: got %s, want %s", got, want)
				}
				if got := env(p.Services[0], "MYSQL_DATABASE"); got != "test" {
					t.Errorf("service environment: got %q, want test", got)
				}
			},
		},
		{
			name: "default git clone with depth stays Drone's clone",
			src:  "clone:\n  git:\n    image: plugins/git:1\n    depth: 50\npipeline:\n  t:\n    image: a\n",
			check: func(t *testing.T, m *pipeline.Manifest, _ *Result) {
				p := pipelineNamed(t, m, "default")
				if p.Clone.Disable || p.Clone.Depth != 50 || names(p.Steps) != "t" {
					t.Errorf("got clone %+v, steps %s; want depth 50 and no clone step", p.Clone, names(p.Steps))
				}
			},
		},
		{
			name: "custom clone disables Drone's and runs first",
			src:  "clone:\n  hg:\n    image: plugins/hg\n    path: x\npipeline:\n  t:\n    image: a\n",
			check: func(t *testing.T, m *pipeline.Manifest, _ *Result) {
				p := pipelineNamed(t, m, "default")
				if !p.Clone.Disable || names(p.Steps) != "hg,t" || p.Steps[0].Settings["path"].Value != "x" {
					t.Errorf("got clone %+v, steps %s", p.Clone, names(p.Steps))
				}
			},
		},
		{
			name: "workspace",
			src:  "workspace:\n  base: /go\n  path: src/github.com/octo/app\npipeline:\n  t:\n    image: a\n",
			check: func(t *testing.T, m *pipeline.Manifest, _ *Result) {
				if w := pipelineNamed(t, m, "default").Workspace; w.Base != "/go" || w.Path != "src/github.com/octo/app" {
					t.Errorf("got workspace %+v", w)
				}
			},
		},
		{
			name: "branches as a value, a list, include and exclude",
			src:  "pipeline:\n  t:\n    image: a\nbranches: master\n",
			check: func(t *testing.T, m *pipeline.Manifest, _ *Result) {
				if got := cond(pipelineNamed(t, m, "default").Trigger.Branch); got != "master|" {
					t.Errorf("trigger.branch: got %s", got)
				}
			},
		},
		{
			name: "branches include and exclude",
			src:  "pipeline:\n  t:\n    image: a\nbranches:\n  include: [master, 'feature/*']\n  exclude: develop\n",
			check: func(t *testing.T, m *pipeline.Manifest, _ *Result) {
				if got := cond(pipelineNamed(t, m, "default").Trigger.Branch); got != "master,feature/*|develop" {
					t.Errorf("trigger.branch: got %s", got)
				}
			},
		},
		{
			name: "when with each form and key",
			src: `pipeline:
  a:
    image: a
    when:
      branch: master
      event: [push, tag, deployment]
      status: [success, failure]
      environment: production
      ref: {include: ['refs/tags/v*'], exclude: refs/tags/v0*}
      repo: octo/app
      instance: ci.example.com
  b:
    image: b
    when:
      event:
        exclude: [pull_request]
`,
			check: func(t *testing.T, m *pipeline.Manifest, _ *Result) {
				p := pipelineNamed(t, m, "default")
				w := step(t, p, "a").When
				for _, c := range []struct{ name, got, want string }{
					{"branch", cond(w.Branch), "master|"},
					{"event", cond(w.Event), "push,tag,promote|"},
					{"status", cond(w.Status), "success,failure|"},
					{"target", cond(w.Target), "production|"},
					{"ref", cond(w.Ref), "refs/tags/v*|refs/tags/v0*"},
					{"repo", cond(w.Repo), "octo/app|"},
					{"instance", cond(w.Instance), "ci.example.com|"},
					{"b event", cond(step(t, p, "b").When.Event), "|pull_request"},
				} {
					if c.got != c.want {
						t.Errorf("when.%s: got %s, want %s", c.name, c.got, c.want)
					}
				}
			},
		},
		{
			name: "matrix of two variables",
			src: `pipeline:
  test:
    image: golang:${GO_VERSION}
    commands:
      - go test -tags $DB ./...
      - echo $${HOME} $OTHER
matrix:
  GO_VERSION: ['1.10', '1.11']
  DB: [mysql, postgres]
`,
			check: func(t *testing.T, m *pipeline.Manifest, _ *Result) {
				var got []string
				for _, p := range m.Pipelines() {
					s := step(t, p, "test")
					got = append(got, fmt.Sprintf("%s %s %s %s/%s", p.Name, s.Image, s.Commands[0], env(s, "GO_VERSION"), env(s, "DB")))
					if s.Commands[1] != "echo $${HOME} $OTHER" {
						t.Errorf("escaped and unknown variables: got %q", s.Commands[1])
					}
				}
				want := []string{
					"matrix-1 golang:1.10 go test -tags mysql ./... 1.10/mysql",
					"matrix-2 golang:1.10 go test -tags postgres ./... 1.10/postgres",
					"matrix-3 golang:1.11 go test -tags mysql ./... 1.11/mysql",
					"matrix-4 golang:1.11 go test -tags postgres ./... 1.11/postgres",
				}
				if strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
				}
			},
		},
		{
			name: "matrix include and when.matrix",
			src: `pipeline:
  test:
    image: golang:${GO}
  legacy:
    image: old
    when:
      matrix:
        GO: 1.4
  modern:
    image: new
    when:
      matrix:
        exclude: {GO: 1.4}
matrix:
  include:
    - GO: 1.4
      REDIS: 2.6
    - GO: 1.5
      REDIS: 2.8
`,
			check: func(t *testing.T, m *pipeline.Manifest, _ *Result) {
				ps := m.Pipelines()
				if len(ps) != 2 || names(ps[0].Steps) != "test,legacy" || names(ps[1].Steps) != "test,modern" {
					t.Fatalf("got %d pipelines, steps %s / %s; want test,legacy then test,modern", len(ps), names(ps[0].Steps), names(ps[1].Steps))
				}
				if got := env(ps[1].Steps[0], "REDIS"); got != "2.8" || ps[1].Steps[0].Image != "golang:1.5" {
					t.Errorf("second entry: got image %s REDIS %s", ps[1].Steps[0].Image, got)
				}
			},
		},
		{
			name: "secrets in both forms",
			src:  "pipeline:\n  publish:\n    image: plugins/docker\n    secrets: [docker_username, docker_password]\n  deploy:\n    image: d\n    environment: [REGION=eu, EMPTY=]\n    secrets:\n      - source: prod_token\n        target: plugin_token\n",
			check: func(t *testing.T, m *pipeline.Manifest, _ *Result) {
				p := pipelineNamed(t, m, "default")
				pub, dep := step(t, p, "publish"), step(t, p, "deploy")
				for _, c := range []struct{ got, want string }{
					{env(pub, "DOCKER_USERNAME"), "secret:docker_username"},
					{env(pub, "DOCKER_PASSWORD"), "secret:docker_password"},
					{env(dep, "PLUGIN_TOKEN"), "secret:prod_token"},
					{env(dep, "REGION"), "eu"},
					{env(dep, "EMPTY"), ""},
				} {
					if c.got != c.want {
						t.Errorf("got %q, want %q", c.got, c.want)
					}
				}
			},
		},
		{
			name: "host volumes",
			src:  "pipeline:\n  a:\n    image: a\n    volumes: ['/var/run/docker.sock:/var/run/docker.sock', '/cache:/go/pkg:ro']\n  b:\n    image: b\n    volumes: ['/var/run/docker.sock:/sock']\n",
			check: func(t *testing.T, m *pipeline.Manifest, r *Result) {
				p := pipelineNamed(t, m, "default")
				if len(p.Volumes) != 2 || p.Volumes[0].Name != "var-run-docker-sock" || p.Volumes[0].Host.Path != "/var/run/docker.sock" || p.Volumes[1].Host.Path != "/cache" {
					t.Fatalf("got volumes %+v", p.Volumes)
				}
				b := step(t, p, "b")
				if len(b.Volumes) != 1 || b.Volumes[0].Name != "var-run-docker-sock" || b.Volumes[0].Path != "/sock" {
					t.Errorf("b's mount: got %+v", b.Volumes)
				}
				if len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0].Message, `"ro" is mounted read-write`) || r.Warnings[0].Line != 4 {
					t.Errorf("got warnings %v, want one about ro on line 4", r.Warnings)
				}
			},
		},
		{
			name: "groups run in parallel",
			src:  "pipeline:\n  build:\n    image: a\n  backend:\n    image: a\n    group: tests\n  frontend:\n    image: a\n    group: tests\n  publish:\n    image: a\n  notify:\n    image: a\n    group: end\n",
			check: func(t *testing.T, m *pipeline.Manifest, _ *Result) {
				p := pipelineNamed(t, m, "default")
				var got []string
				for _, s := range p.Steps {
					got = append(got, s.Name+"<"+strings.Join(s.DependsOn, "+"))
				}
				if want := "build<clone,backend<build,frontend<build,publish<backend+frontend,notify<publish"; strings.Join(got, ",") != want {
					t.Errorf("got %s, want %s", strings.Join(got, ","), want)
				}
			},
		},
		{
			name: "platform, labels and secrets resources",
			src:  "platform: linux/arm64\nlabels:\n  location: eu\npipeline:\n  a:\n    image: a\nsecrets:\n  docker_password:\n    path: secret/docker/password\n",
			check: func(t *testing.T, m *pipeline.Manifest, _ *Result) {
				p := pipelineNamed(t, m, "default")
				if p.Platform.OS != "linux" || p.Platform.Arch != "arm64" || p.Node["location"] != "eu" {
					t.Errorf("got platform %+v node %v", p.Platform, p.Node)
				}
				s, ok := m.Resources[1].(*pipeline.Secret)
				if !ok || s.Name != "docker_password" || s.Get.Path != "secret/docker/password" {
					t.Errorf("got resource %+v, want the secret", m.Resources[1])
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, r := converted(t, ".drone.yml", tt.src)
			tt.check(t, m, r)
		})
	}
}

// TestDrone08Seed converts seed 003's file: Drone 0.8 ignored the event
// list nested in branch, so backend runs on master for every event; the
// warning names the line.
func TestDrone08Seed(t *testing.T) {
	t.Parallel()
	m, r := converted(t, ".drone.yml", readFile(t, "testdata/seed003.yml"))
	p := pipelineNamed(t, m, "default")
	backend := step(t, p, "backend")
	if got := cond(backend.When.Branch); got != "master|develop" || !backend.When.Event.IsEmpty() {
		t.Errorf("backend when: branch %s, event %+v; want master|develop and no event", got, backend.When.Event)
	}
	if got := cond(p.Trigger.Branch); got != "master,feature/*|develop,test/*" {
		t.Errorf("trigger.branch: got %s", got)
	}
	if p.Clone.Disable || names(p.Steps) != "backend,docker" {
		t.Errorf("clone %+v, steps %s: plugins/git is Drone's own clone", p.Clone, names(p.Steps))
	}
	if len(r.Warnings) != 1 || r.Warnings[0].Line != 12 || !strings.Contains(r.Warnings[0].Message, "pipeline.backend.when.branch.event is ignored") {
		t.Errorf("got warnings %v, want one for line 12", r.Warnings)
	}
	for _, c := range []struct {
		v    pipeline.Values
		want bool
	}{
		{pipeline.Values{Branch: "master", Event: "push"}, true},
		{pipeline.Values{Branch: "master", Event: "pull_request"}, true},
		{pipeline.Values{Branch: "develop", Event: "push"}, false},
		{pipeline.Values{Branch: "feature/x", Event: "push"}, false},
	} {
		if got := backend.When.Branch.Match(c.v.Branch) && backend.When.Event.Match(c.v.Event); got != c.want {
			t.Errorf("backend on %+v: got %v, want %v", c.v, got, c.want)
		}
	}
}

// TestDrone08Refused lists every unconvertible key of a file in one error,
// with its line.
func TestDrone08Refused(t *testing.T) {
	t.Parallel()
	src := `version: 2
pipeline:
  a:
    image: a
    cap_add: [NET_ADMIN]
    mem_limit: 1g
    volumes: ['cache:/cache']
    when:
      platform: linux/arm
kind: pipeline
`
	e := refused(t, ".drone.yml", src,
		"Drone 0.8: cannot convert: line 1: version: is not a Drone 0.8 setting",
		"line 5: pipeline.a.cap_add: has no Drone 1.x equivalent",
		"line 6: pipeline.a.mem_limit: has no Drone 1.x equivalent",
		`line 7: pipeline.a.volumes: "cache:/cache" is not /host/path:/container/path`,
		"line 9: pipeline.a.when.platform: is not a condition",
		"line 10: kind: a Drone 1.x document (kind:) cannot also hold")
	if len(e.Problems) != 6 {
		t.Errorf("got %d problems, want 6: %v", len(e.Problems), e)
	}
}
