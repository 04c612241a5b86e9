package convert

import (
	"context"
	"strings"
	"testing"

	"github.com/hangar-ci/hangar/shared/servicetest"
)

func TestJsonnet(t *testing.T) {
	t.Parallel()
	config, _ := servicetest.Tree(t, map[string]string{
		"_hangar/lib/drone.libsonnet":      "{ step(n):: { name: n, image: 'alpine' } }\n",
		"_hangar/lib/sub/nested.libsonnet": "(import '../drone.libsonnet').step('nested')\n",
		"_hangar/lib/loop/a.libsonnet":     "import 'b.libsonnet'\n",
		"_hangar/lib/loop/b.libsonnet":     "import 'a.libsonnet'\n",
		"octo/secret.libsonnet":            "{ token: 'x' }\n",
	})
	req := request(".drone.jsonnet", "", "pull_request")
	req.Build.Params = map[string]string{"deploy": "staging"}
	tests := []struct {
		name    string
		script  string
		want    string
		wantErr string
	}{
		{name: "object is one pipeline", script: "{kind: 'pipeline', name: std.extVar('build.event')}", want: "---\nkind: pipeline\nname: pull_request\n"},
		{name: "array is a stream", script: "[{name: 'a'}, {name: 'b'}]", want: "---\nname: a\n---\nname: b\n"},
		{name: "drone's external variables", script: `{
  branch: std.extVar('build.branch'), commit: std.extVar('build.commit'), trusted: std.extVar('repo.trusted'),
  slug: std.extVar('repo.slug'), param: std.extVar('build.param.deploy'), input: std.extVar('input.size'),
  debug: std.extVar('build.debug')}`,
			want: "---\nbranch: main\ncommit: \"" + commit + "\"\ndebug: false\ninput: 3\nparam: staging\nslug: octo/platform\ntrusted: true\n"},
		{name: "library import", script: "local d = import 'drone.libsonnet'; {steps: [d.step('x')]}", want: "---\nsteps:\n  - image: alpine\n    name: x\n"},
		{name: "library import by @hangar", script: "{steps: [import '@hangar//sub/nested.libsonnet']}", want: "---\nsteps:\n  - image: alpine\n    name: nested\n"},
		{name: "import outside the library", script: "import '../octo/secret.libsonnet'", wantErr: "the path leaves its repository"},
		{name: "import from the built repository", script: "import '//ci/lib.libsonnet'", wantErr: "Jsonnet imports read the config repository's library only"},
		{name: "missing import", script: "import 'nope.libsonnet'", wantErr: "@hangar//nope.libsonnet: no such file"},
		{name: "import cycle", script: "import 'loop/a.libsonnet'", wantErr: "max stack frames exceeded"},
		{name: "syntax error", script: "{a: }", wantErr: ".drone.jsonnet:1:5"},
		{name: "runtime error", script: "{a: error 'no deploy target'}", wantErr: "no deploy target"},
		{name: "wrong type", script: "42", wantErr: "the script evaluates to a number; want an object (one pipeline) or an array of objects"},
		{name: "empty array", script: "[]", wantErr: "empty array: no pipeline to run"},
		{name: "array of non-objects", script: "[{}, 'x']", wantErr: "item 1 is not an object"},
		{name: "output too large", script: "local s = '" + strings.Repeat("abcdefgh", 500) + "'; {x: [s + i for i in std.range(1, 300)]}", wantErr: "larger than 1048576 bytes"},
	}
	w := newWorker(workerCmd(t), 0, 2)
	for _, mode := range []string{"in process", "worker"} {
		for _, tt := range tests {
			t.Run(mode+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				in := Input{
					Name: ".drone.jsonnet", Script: []byte(tt.script), Build: req.Build, Repo: req.Repo,
					Params: map[string]any{"size": 3.0}, Config: config,
				}
				var got string
				var err error
				if mode == "worker" {
					var r result
					r, err = render(context.Background(), in, engine{worker: w})
					got = r.yaml
				} else {
					got, err = Render(context.Background(), in)
				}
				if tt.wantErr != "" {
					if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
						t.Errorf("got %q, %v; want an error containing %q", got, err, tt.wantErr)
					}
					return
				}
				if err != nil {
					t.Fatalf("got error %v, want none", err)
				}
				if got != tt.want {
					t.Errorf("got %q, want %q", got, tt.want)
				}
			})
		}
	}
}

func TestStarlarkContext(t *testing.T) {
	t.Parallel()
	req := request(".drone.star", "", "pull_request")
	req.Build.Params = map[string]string{"deploy": "staging"}
	req.Build.Cron, req.Build.Deploy, req.Build.Title = "nightly", "production", "Add login"
	script := `
def main(ctx):
    b, r = ctx.build, ctx.repo
    return {
        "build": [b.event, b.action, b.cron, b.environment, b.branch, b.source, b.target, b.ref, b.commit, b.title, b.message, b.source_repo, b.author_login, b.sender, b.params["deploy"], b.debug],
        "repo": [r.uid, r.name, r.namespace, r.slug, r.git_http_url, r.git_ssh_url, r.link, r.branch, r.config, r.private, r.visibility, r.active, r.trusted, r.protected, r.ignore_forks, r.ignore_pull_requests],
        "input": ctx.input.size,
        "json": json.decode(json.encode({"a": [1, 2]})),
    }
`
	got, err := Render(context.Background(), Input{Name: ".drone.star", Script: []byte(script), Build: req.Build, Repo: req.Repo, Params: map[string]any{"size": 3.0}})
	if err != nil {
		t.Fatal(err)
	}
	want := `---
build:
  - pull_request
  - opened
  - nightly
  - production
  - main
  - feature/login
  - main
  - refs/pull/42/head
  - "` + commit + `"
  - Add login
  - update
  - octo/platform
  - octocat
  - octocat
  - staging
  - false
repo:
  - "42"
  - platform
  - octo
  - octo/platform
  - https://github.com/octo/platform.git
  - git@github.com:octo/platform.git
  - https://github.com/octo/platform
  - main
  - .drone.star
  - true
  - private
  - true
  - true
  - false
  - false
  - false
input: 3
json:
  a:
    - 1
    - 2
`
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}
