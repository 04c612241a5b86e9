package convert

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/drone/drone-go/drone"
	"github.com/drone/drone-go/plugin/converter"
	"github.com/google/go-cmp/cmp"

	"github.com/hangar-ci/hangar/shared/servicetest"
	"github.com/hangar-ci/hangar/shared/wire"
)

// TestEndToEnd drives the real handler on a loopback port with drone-go
// v1.7.1's converter client, as the Drone server calls it.
func TestEndToEnd(t *testing.T) {
	t.Parallel()
	_, rf := builtRepo(t)
	opts := testOptions()
	opts.RepoFiles = rf
	s := start(t, opts, sampleConfig(t))
	golden, err := os.ReadFile("testdata/golden/push.yaml")
	if err != nil {
		t.Fatal(err)
	}
	central, err := os.ReadFile("../../config-repo/octo/api/default.star")
	if err != nil {
		t.Fatal(err)
	}
	untrusted := request(".drone.star", string(largeScript(t)), "push")
	untrusted.Repo.Trusted = false
	broken := request(".drone.star", "def main(ctx):\n    return ctx.build.nope\n", "push")
	scmDown := request(".drone.star", string(largeScript(t)), "push")
	scmDown.Build.After = strings.Repeat("f", 40)

	tests := []struct {
		name     string
		req      *converter.Request
		want     string // exact data, or a substring when contains
		contains bool
		status   int // a drone.Error code, 0 for success
	}{
		{name: "starlark from the repository", req: request(".drone.star", string(largeScript(t)), "push"), want: string(golden)},
		{name: "marked central script", req: request(".drone.yml", wire.MarkScript("starlark", "octo/api/default.star", central), "tag"), want: "name: publish\n", contains: true},
		{name: "jsonnet", req: request(".drone.jsonnet", `
local drone = import 'drone.libsonnet';
[drone.pipeline(std.extVar('repo.slug') + '-' + std.extVar('build.event'),
  [drone.step('test', 'golang:1.22', ['go test ./...'])],
  trigger={ branch: [std.extVar('build.branch')] })]
`, "push"), want: "name: octo/platform-push\n", contains: true},
		{name: "plain yaml", req: request(".drone.yml", "kind: pipeline\nname: default\n", "push"), want: ""},
		{name: "broken script", req: broken, want: ".drone.star:2:21: in main\nError: \"build\" struct has no .nope attribute", contains: true, status: 422},
		{name: "untrusted repository loading from itself", req: untrusted, want: "load(\"//…\") from octo/platform is not allowed: only trusted repositories may load from themselves (HANGAR_CONVERT_REPO_LOADS)", contains: true, status: 422},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := s.convert(context.Background(), tt.req)
			if tt.status != 0 {
				var de *drone.Error
				if !errors.As(err, &de) {
					t.Fatalf("got error %v, want a drone.Error", err)
				}
				if de.Code != tt.status || !strings.Contains(de.Message, tt.want) {
					t.Errorf("got %d %q, want %d containing %q", de.Code, de.Message, tt.status, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if tt.contains {
				if !strings.Contains(got.Data, tt.want) {
					t.Errorf("got %q, want it to contain %q", got.Data, tt.want)
				}
				return
			}
			if diff := cmp.Diff(tt.want, got.Data); diff != "" {
				t.Errorf("data differs (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("scm unavailable", func(t *testing.T) {
		down, rf := builtRepo(t)
		down.Fail(500)
		opts := testOptions()
		opts.RepoFiles = rf
		s := start(t, opts, sampleConfig(t))
		_, err := s.convert(context.Background(), scmDown)
		var de *drone.Error
		if !errors.As(err, &de) || de.Code != 503 || !strings.Contains(de.Message, "//ci/lib.star: cannot read octo/platform at ffffffffffff") {
			t.Errorf("got %v, want a 503 naming the module", err)
		}
	})
	t.Run("bad signature", func(t *testing.T) {
		_, err := converter.Client(s.url, "wrong-secret-0123456789abcdef", false).Convert(context.Background(), request(".drone.star", validScript, "push"))
		var de *drone.Error
		if !errors.As(err, &de) || de.Code < 400 || de.Code > 499 {
			t.Errorf("got %v, want a 4xx", err)
		}
	})
}

// TestCache checks that repeated calls (Drone calls again for every stage)
// are served from the cache, that what a script cannot see does not split
// the cache, and that a library change is picked up.
func TestCache(t *testing.T) {
	t.Parallel()
	config, root := servicetest.Tree(t, map[string]string{
		"_hangar/lib/ok.star": "NAME = \"one\"\n",
	})
	srv, rf := builtRepo(t)
	srv.Set("octo/platform", commit, "ci/name.star", []byte("SUFFIX = \"-repo\"\n"))
	opts := testOptions()
	opts.RepoFiles = rf
	s := start(t, opts, config)
	script := "load(\"@hangar//ok.star\", \"NAME\")\nload(\"//ci/name.star\", \"SUFFIX\")\ndef main(ctx):\n    return {\"name\": NAME + SUFFIX, \"event\": ctx.build.event}\n"
	call := func(req *converter.Request) string {
		t.Helper()
		cfg, err := s.convert(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		return cfg.Data
	}
	first := call(request(".drone.star", script, "push"))
	if want := "---\nname: one-repo\nevent: push\n"; first != want {
		t.Fatalf("got %q, want %q", first, want)
	}
	// A stage-detail call carries the stored build: id, number, status.
	stage := request(".drone.star", script, "push")
	stage.Build.ID, stage.Build.Number, stage.Build.Status = 99, 12, drone.StatusRunning
	if got := call(stage); got != first {
		t.Errorf("stage call: got %q, want %q", got, first)
	}
	if hits, misses := s.cacheCount(t, "hit"), s.cacheCount(t, "miss"); hits != 1 || misses != 1 {
		t.Errorf("got %v hits and %v misses, want 1 and 1", hits, misses)
	}
	// Another event is another rendering; the built repository's file at
	// the same commit is not fetched again.
	fetched := srv.Hits()
	if got := call(request(".drone.star", script, "pull_request")); !strings.Contains(got, "event: pull_request") {
		t.Errorf("got %q, want the pull_request rendering", got)
	}
	if got := srv.Hits(); got != fetched {
		t.Errorf("got %d SCM reads after a second event, want %d (cached by commit)", got, fetched)
	}
	// A library change reaches the next call.
	servicetest.WriteFiles(t, root, map[string]string{"_hangar/lib/ok.star": "NAME = \"two\"\n"})
	if err := config.Reload(); err != nil {
		t.Fatal(err)
	}
	if got, want := call(request(".drone.star", script, "push")), "---\nname: two-repo\nevent: push\n"; got != want {
		t.Errorf("after a library change: got %q, want %q", got, want)
	}
	if misses := s.cacheCount(t, "miss"); misses != 3 {
		t.Errorf("got %v misses, want 3", misses)
	}
}
