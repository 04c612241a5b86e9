package main

import (
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/hangar-ci/hangar/shared/scm/scmtest"
	"github.com/hangar-ci/hangar/shared/sqldb"
	"github.com/hangar-ci/hangar/shared/wire"
)

// coreGitLabSHA is the commit of the recorded GitLab push and merge
// request payloads.
const coreGitLabSHA = "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"

// TestCoreForeignFormats posts signed GitLab webhooks to the core, with the
// real extensions, for repositories whose own files are seed 003's Drone
// 0.8 .drone.yml and a .gitlab-ci.yml: both build, with the 0.8 branch
// rules and GitLab's stages; the manual GitLab job runs on promotion only.
func TestCoreForeignFormats(t *testing.T) {
	t.Parallel()
	h := startCore(t, sqldb.SQLite, nil)
	seed, err := os.ReadFile(seedFile)
	if err != nil {
		t.Fatal(err)
	}
	// Its docker step mounts the host's Docker socket: a trusted
	// repository, as in Drone 0.8 and 1.x (the validate service lints it).
	h.activate("gitlab", "mike/legacy", map[string]any{"trusted": true})
	h.GitLab.SetFile("mike/legacy", coreGitLabSHA, ".drone.yml", seed)
	h.activate("gitlab", "mike/gl", map[string]any{"config_path": ".gitlab-ci.yml"})
	h.GitLab.SetFile("mike/gl", coreGitLabSHA, ".gitlab-ci.yml", []byte(`image: golang:1.22
build:
  stage: build
  script: go build ./...
unit:
  stage: test
  script: go test ./...
deploy:
  stage: deploy
  script: ./deploy.sh
  when: manual
  environment: production
`))
	// GitLab's changes become paths conditions, which the core evaluates
	// against the push's changed files.
	h.activate("gitlab", "mike/gl-paths", map[string]any{"config_path": ".gitlab-ci.yml"})
	h.GitLab.SetFile("mike/gl-paths", coreGitLabSHA, ".gitlab-ci.yml", []byte(`image: alpine:3
api:
  script: make api
  rules:
    - changes: ['api/**/*']
docs:
  script: make docs
  only:
    changes: ['docs/**/*']
`))
	h.GitLab.History.Commit("mike/gl-paths", "95790bf891e76fee5e1747ab589903a6a1f80f22", "")
	h.GitLab.History.Commit("mike/gl-paths", coreGitLabSHA, "95790bf891e76fee5e1747ab589903a6a1f80f22", scmtest.Change{Path: "api/server/main.go"})
	push := func(slug, ref string) []byte {
		return corePayload(t, "gitlab/push.json", func(m map[string]any) {
			m["project"].(map[string]any)["path_with_namespace"] = slug
			m["ref"] = ref
		})
	}
	stages := func(b *wire.Build) string {
		var out []string
		for _, s := range b.Stages {
			out = append(out, s.Name+":"+s.Status+"<"+strings.Join(s.DependsOn, "+"))
		}
		return strings.Join(out, ",")
	}

	t.Run("drone 0.8 seed", func(t *testing.T) {
		for _, tc := range []struct {
			ref  string
			want bool
		}{
			{"refs/heads/master", true},
			{"refs/heads/feature/login", true},
			{"refs/heads/develop", false},
			{"refs/heads/test/x", false},
		} {
			res := h.postGitLab("Push Hook", push("mike/legacy", tc.ref), coreHookKey)
			if res.Status != http.StatusOK && res.Status != http.StatusNoContent || (res.Build != nil) != tc.want {
				t.Errorf("%s: got %d %s, want a build %v", tc.ref, res.Status, res.Body, tc.want)
				continue
			}
			if tc.want && (res.Build.Status != "pending" || stages(res.Build) != "default:pending<") {
				t.Errorf("%s: got %s build with stages %s (error %q), want pending with default:pending", tc.ref, res.Build.Status, stages(res.Build), res.Build.Error)
			}
		}
		mr := corePayload(t, "gitlab/merge_request.json", func(m map[string]any) {
			m["project"].(map[string]any)["path_with_namespace"] = "mike/legacy"
		})
		if res := h.postGitLab("Merge Request Hook", mr, coreHookKey); res.Build == nil || res.Build.Event != "pull_request" || stages(res.Build) != "default:pending<" {
			t.Errorf("merge request into master: got %d %s, want a pull_request build", res.Status, res.Body)
		}
		var list []wire.Build
		if code := h.api(http.MethodGet, "/repos/mike/legacy/builds?scm=gitlab", nil, &list); code != http.StatusOK || len(list) != 3 {
			t.Errorf("got %d, %d builds, want 200 and 3 (master, feature/login, the merge request)", code, len(list))
		}
	})

	t.Run("gitlab ci changes", func(t *testing.T) {
		res := h.postGitLab("Push Hook", push("mike/gl-paths", "refs/heads/master"), coreHookKey)
		if res.Build == nil || stages(res.Build) != "api:pending<" {
			t.Errorf("push changing api/: got %d %s, want only the api stage", res.Status, res.Body)
		}
	})

	t.Run("gitlab ci with a manual job", func(t *testing.T) {
		res := h.postGitLab("Push Hook", push("mike/gl", "refs/heads/master"), coreHookKey)
		if res.Build == nil || stages(res.Build) != "build:pending<,unit:waiting_on_dependencies<build" {
			t.Fatalf("push: got %d %s, want stages build and unit (deploy is manual)", res.Status, res.Body)
		}
		var promoted wire.Build
		if code := h.api(http.MethodPost, "/repos/mike/gl/builds/1/promote?target=production&scm=gitlab", nil, &promoted); code != http.StatusCreated {
			t.Fatalf("promote: got %d, want 201", code)
		}
		if got := stages(&promoted); got != "deploy:pending<" || promoted.Event != "promote" {
			t.Errorf("promote: got %s build with stages %s, want only deploy, pending", promoted.Event, got)
		}
		if code := h.api(http.MethodPost, "/repos/mike/gl/builds/1/promote?target=staging&scm=gitlab", nil, nil); code != http.StatusUnprocessableEntity {
			t.Errorf("promote to an environment no manual job names: got %d, want 422 (no pipeline matches)", code)
		}
	})
}
