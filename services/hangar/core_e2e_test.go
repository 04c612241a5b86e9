package main

import (
	"bytes"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hangar-ci/hangar/services/core/coretest"
	"github.com/hangar-ci/hangar/shared/scmhook"
	"github.com/hangar-ci/hangar/shared/sqldb"
	"github.com/hangar-ci/hangar/shared/wire"
)

// coreStageView is what the scenarios assert of a stage.
type coreStageView struct {
	Name      string
	Status    string
	DependsOn []string
	OS, Arch  string
}

func coreStagesOf(b *wire.Build) []coreStageView {
	var out []coreStageView
	for _, s := range b.Stages {
		out = append(out, coreStageView{s.Name, s.Status, s.DependsOn, s.OS, s.Arch})
	}
	return out
}

const corePushSHA = "6113728f27ae82c7b1a177c8d03f9e96e0adf246"

var coreDialects = []sqldb.Dialect{sqldb.SQLite, sqldb.Postgres}

// TestCoreEndToEnd posts real GitHub and GitLab payloads, signed, to the
// core server running with the real config, convert and validate services
// and checks builds, stages, commit statuses and webhooks.
func TestCoreEndToEnd(t *testing.T) {
	t.Parallel()
	for _, d := range coreDialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			h := startCore(t, d, nil)
			for _, name := range []string{"dag", "conditions", "Hello-World", "skip", "broken", "starlark", "lint", "own-file", "bad-input", "blocked", "vskip", "custom", "report", "tool", "deploy"} {
				h.activate("github", "Codertocat/"+name, nil)
			}
			for _, slug := range []string{"mike/diaspora", "jsmith/example", "gitlabhq/gitlab-test"} {
				h.activate("gitlab", slug, nil)
			}
			h.GitHub.SetCommit("Codertocat/Hello-World", corePushSHA, coretest.Commit{Message: "Tag the release", AuthorLogin: "Codertocat", AuthorName: "Codertocat", AuthorEmail: "c@example.com"})
			h.GitHub.SetFile("Codertocat/own-file", corePushSHA, ".drone.yml", []byte("kind: pipeline\nname: from-repo\nsteps:\n- name: s\n  image: alpine\n"))
			h.activate("gitlab", "mike/own-file", map[string]any{"config_path": "ci/pipeline.yml"})
			h.GitLab.SetFile("mike/own-file", "da1560886d4f094c3e6c9ef40349f7d38b5d27d7", "ci/pipeline.yml", []byte("kind: pipeline\nname: from-gitlab-repo\nsteps:\n- name: s\n  image: alpine\n"))
			for _, sc := range append(coreTriggerScenarios, coreAPIScenarios...) {
				t.Run(sc.name, func(t *testing.T) {
					t.Parallel()
					sc.run(t, h)
				})
			}
		})
	}
}

// TestCoreConcurrentHooks posts 200 hooks for one repository at once: the
// builds are numbered 1..200 with no gap and no repeat.
func TestCoreConcurrentHooks(t *testing.T) {
	t.Parallel()
	for _, d := range coreDialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			h := startCore(t, d, nil)
			h.activate("github", "Codertocat/busy", nil)
			body := corePayload(t, "github/push.json", coreGitHubRepo("busy"))
			const n = 200
			var wg sync.WaitGroup
			failures := make(chan string, n)
			for range n {
				wg.Go(func() {
					if res := h.postGitHub("push", body, coreHookKey); res.Build == nil {
						failures <- res.Body
					}
				})
			}
			wg.Wait()
			close(failures)
			for f := range failures {
				t.Fatalf("a hook created no build: %s", f)
			}
			h.checkNumbered(t, "Codertocat/busy", n)
		})
	}
}

// checkNumbered checks the repository's builds are numbered 1..n, with no
// gap and no repeat (n ≤ 200: two pages).
func (h *coreHangar) checkNumbered(t *testing.T, slug string, n int) {
	t.Helper()
	builds := h.builds(slug)
	var more []wire.Build
	h.api(http.MethodGet, "/repos/"+slug+"/builds?per_page=100&page=2", nil, &more)
	builds = append(builds, more...)
	if len(builds) != n {
		t.Fatalf("builds: got %d, want %d", len(builds), n)
	}
	for i, b := range builds {
		if want := int64(n - i); b.Number != want {
			t.Fatalf("build at %d: got number %d, want %d", i, b.Number, want)
		}
	}
}

func coreHasStatus(list []coretest.Status, want coretest.Status) bool {
	for _, s := range list {
		if s == want {
			return true
		}
	}
	return false
}

func coreHasEvent(list []wire.WebhookPayload, slug string, number int64) bool {
	for _, e := range list {
		if e.Event == "build" && e.Action == "created" && e.Repo != nil && e.Repo.Slug == slug && e.Build != nil && e.Build.Number == number && e.System != nil && e.System.Host == "ci.example.com" {
			return true
		}
	}
	return false
}

// coreScenario is one end-to-end case, run against a shared hangar.
type coreScenario struct {
	name string
	run  func(*testing.T, *coreHangar)
}

// coreTriggerScenarios are the hook-to-build cases.
var coreTriggerScenarios = []coreScenario{
	{"dag", coreDag},
	{"trigger conditions and re-pointed dependencies", coreTriggerConditionsAndRePointedDependencies},
	{"tag and pull requests", coreTagAndPullRequests},
	{"ci skip", coreCiSkip},
	{"error builds", coreErrorBuilds},
	{"starlark", coreStarlark},
	{"repository's own file", coreRepositorySOwnFile},
	{"unknown repository", coreUnknownRepository},
	{"bad input", coreBadInput},
	{"gitlab", coreGitlab},
}

func coreDag(t *testing.T, h *coreHangar) {
	res := h.postGitHub("push", corePayload(t, "github/push.json", coreGitHubRepo("dag")), coreHookKey)
	if res.Status != http.StatusOK || res.Build == nil {
		t.Fatalf("got %d %s, want 200 with a build", res.Status, res.Body)
	}
	want := []coreStageView{
		{"build", "pending", nil, "linux", "amd64"},
		{"test", "waiting_on_dependencies", []string{"build"}, "linux", "amd64"},
		{"publish", "waiting_on_dependencies", []string{"build", "test"}, "linux", "arm64"},
	}
	got := h.build("Codertocat/dag", res.Build.Number)
	if diff := cmp.Diff(want, coreStagesOf(&got)); diff != "" {
		t.Errorf("stages (-want +got):\n%s", diff)
	}
	if got.Number != 1 || got.Status != "pending" || got.Event != "push" || got.After != corePushSHA || got.Ref != "refs/heads/master" || got.Target != "master" || got.Message != "Initial commit" {
		t.Errorf("build: got %+v, want #1 pending push of %s on refs/heads/master with message", got, corePushSHA)
	}
	if got.Stages[2].Labels["region"] != "eu" || got.Stages[2].Limit != 1 {
		t.Errorf("publish stage: got labels %v limit %d, want region=eu limit 1", got.Stages[2].Labels, got.Stages[2].Limit)
	}
	wantStatus := coretest.Status{Slug: "Codertocat/dag", SHA: corePushSHA, State: "pending", Context: "continuous-integration/drone/push",
		Description: "Build is pending", URL: "https://ci.example.com/Codertocat/dag/1"}
	if !coreHasStatus(h.GitHub.Statuses(), wantStatus) {
		t.Errorf("GitHub statuses: got %+v, want one %+v", h.GitHub.Statuses(), wantStatus)
	}
	if !coreHasEvent(h.Webhook.Events(), "Codertocat/dag", 1) {
		t.Errorf("webhooks: got %+v, want build:created for Codertocat/dag #1", h.Webhook.Events())
	}
}

func coreTriggerConditionsAndRePointedDependencies(t *testing.T, h *coreHangar) {
	res := h.postGitHub("push", corePayload(t, "github/push.json", coreGitHubRepo("conditions")), coreHookKey)
	if res.Build == nil {
		t.Fatalf("got %d %s, want a build", res.Status, res.Body)
	}
	want := []coreStageView{
		{"build", "pending", nil, "linux", "amd64"},
		{"deploy", "waiting_on_dependencies", []string{"build"}, "linux", "amd64"},
	}
	if diff := cmp.Diff(want, coreStagesOf(res.Build)); diff != "" {
		t.Errorf("stages (-want +got):\n%s", diff)
	}
}

func coreTagAndPullRequests(t *testing.T, h *coreHangar) {
	tests := []struct {
		event, file string
		wantEvent   string
		wantAction  string
		wantRef     string
		wantStage   string
		wantMessage string
	}{
		{"push", "github/push_tag.json", "tag", "create", "refs/tags/simple-tag", "on-tag", "Tag the release"},
		{"pull_request", "github/pull_request_opened.json", "pull_request", "opened", "refs/pull/2/head", "on-pr", "Update the README with new information."},
		{"pull_request", "github/pull_request_synchronize.json", "pull_request", "synchronized", "refs/pull/2/head", "on-pr", "Update the README with new information."},
	}
	for _, tc := range tests {
		res := h.postGitHub(tc.event, corePayload(t, tc.file, nil), coreHookKey)
		if res.Build == nil {
			t.Fatalf("%s: got %d %s, want a build", tc.file, res.Status, res.Body)
		}
		b := res.Build
		if b.Event != tc.wantEvent || b.Action != tc.wantAction || b.Ref != tc.wantRef || b.Message != tc.wantMessage {
			t.Errorf("%s: got event %q action %q ref %q message %q, want %q %q %q %q", tc.file, b.Event, b.Action, b.Ref, b.Message,
				tc.wantEvent, tc.wantAction, tc.wantRef, tc.wantMessage)
		}
		if len(b.Stages) != 1 || b.Stages[0].Name != tc.wantStage || b.Stages[0].Status != "pending" {
			t.Errorf("%s: got stages %+v, want one pending %s", tc.file, coreStagesOf(b), tc.wantStage)
		}
	}
	// Closed pull requests and deleted refs build nothing.
	for _, tc := range []struct{ event, file string }{
		{"pull_request", "github/pull_request_closed.json"},
		{"push", "github/push_tag_deleted.json"},
		{"delete", "github/delete.json"},
		{"create", "github/create_tag.json"},
	} {
		if res := h.postGitHub(tc.event, corePayload(t, tc.file, nil), coreHookKey); res.Status != http.StatusNoContent {
			t.Errorf("%s: got %d %s, want 204", tc.file, res.Status, res.Body)
		}
	}
	if n := len(h.builds("Codertocat/Hello-World")); n != 3 {
		t.Errorf("Hello-World builds: got %d, want 3", n)
	}
}

func coreCiSkip(t *testing.T, h *coreHangar) {
	body := corePayload(t, "github/push.json", func(m map[string]any) {
		coreGitHubRepo("skip")(m)
		m["head_commit"].(map[string]any)["message"] = "Fix typo [CI SKIP]"
	})
	res := h.postGitHub("push", body, coreHookKey)
	if res.Status != http.StatusOK || res.Build != nil {
		t.Errorf("got %d %s, want 200 null", res.Status, res.Body)
	}
	if n := len(h.builds("Codertocat/skip")); n != 0 {
		t.Errorf("builds: got %d, want 0", n)
	}
}

func coreErrorBuilds(t *testing.T, h *coreHangar) {
	for _, tc := range []struct{ repo, wantErr string }{
		{"broken", "yaml"},
		{"lint", "linter: duplicate pipeline names"},
	} {
		res := h.postGitHub("push", corePayload(t, "github/push.json", coreGitHubRepo(tc.repo)), coreHookKey)
		if res.Build == nil || res.Build.Status != "error" || !strings.Contains(res.Build.Error, tc.wantErr) || len(res.Build.Stages) != 0 {
			t.Errorf("%s: got %d %s, want an error build mentioning %q without stages", tc.repo, res.Status, res.Body, tc.wantErr)
		}
	}
	for _, st := range h.GitHub.Statuses() {
		if st.Slug == "Codertocat/broken" || st.Slug == "Codertocat/lint" {
			t.Errorf("error build set a status: %+v", st)
		}
	}
}

func coreStarlark(t *testing.T, h *coreHangar) {
	if _, ok := builderFor("convert"); !ok {
		t.Fatal("the convert service is not registered")
	}
	res := h.postGitHub("push", corePayload(t, "github/push.json", coreGitHubRepo("starlark")), coreHookKey)
	if res.Build == nil {
		t.Fatalf("got %d %s, want a build", res.Status, res.Body)
	}
	want := []coreStageView{
		{"compile", "pending", nil, "linux", "amd64"},
		{"integration", "waiting_on_dependencies", []string{"compile"}, "linux", "amd64"},
	}
	if diff := cmp.Diff(want, coreStagesOf(res.Build)); diff != "" {
		t.Errorf("stages (-want +got):\n%s (error %q)", diff, res.Build.Error)
	}
}

func coreRepositorySOwnFile(t *testing.T, h *coreHangar) {
	res := h.postGitHub("push", corePayload(t, "github/push.json", coreGitHubRepo("own-file")), coreHookKey)
	if res.Build == nil || len(res.Build.Stages) != 1 || res.Build.Stages[0].Name != "from-repo" {
		t.Errorf("GitHub: got %d %s, want one stage from-repo read from .drone.yml", res.Status, res.Body)
	}
	body := corePayload(t, "gitlab/push.json", func(m map[string]any) {
		m["project"].(map[string]any)["path_with_namespace"] = "mike/own-file"
	})
	res = h.postGitLab("Push Hook", body, coreHookKey)
	if res.Build == nil || len(res.Build.Stages) != 1 || res.Build.Stages[0].Name != "from-gitlab-repo" {
		t.Errorf("GitLab: got %d %s, want one stage from-gitlab-repo read from ci/pipeline.yml", res.Status, res.Body)
	}
}

func coreUnknownRepository(t *testing.T, h *coreHangar) {
	res := h.postGitHub("push", corePayload(t, "github/push.json", coreGitHubRepo("never-activated")), coreHookKey)
	if res.Status != http.StatusNoContent {
		t.Errorf("got %d %s, want 204", res.Status, res.Body)
	}
}

func coreBadInput(t *testing.T, h *coreHangar) {
	body := corePayload(t, "github/push.json", coreGitHubRepo("bad-input"))
	for _, tc := range []struct {
		name   string
		body   []byte
		secret string
		want   int
	}{
		{"unsigned", body, "", http.StatusUnauthorized},
		{"wrong secret", body, "not-the-secret", http.StatusUnauthorized},
		{"malformed", []byte(`{"ref": "refs/heads/master", "repository": `), coreHookKey, http.StatusBadRequest},
		{"wrong type", []byte(`{"ref": 42}`), coreHookKey, http.StatusBadRequest},
	} {
		if res := h.postGitHub("push", tc.body, tc.secret); res.Status != tc.want {
			t.Errorf("%s: got %d %s, want %d", tc.name, res.Status, res.Body, tc.want)
		}
	}
	// A body changed after signing fails too.
	tampered := bytes.Replace(body, []byte("Initial commit"), []byte("Evil commit"), 1)
	hdr := http.Header{"X-GitHub-Event": {"push"}, "X-Hub-Signature-256": {scmhook.SignGitHub(body, coreHookKey)}}
	if res := h.post(hdr, tampered); res.Status != http.StatusUnauthorized {
		t.Errorf("tampered: got %d %s, want 401", res.Status, res.Body)
	}
	if n := len(h.builds("Codertocat/bad-input")); n != 0 {
		t.Errorf("builds: got %d, want 0", n)
	}
	if res := h.postGitLab("Push Hook", corePayload(t, "gitlab/push.json", nil), "wrong-token"); res.Status != http.StatusUnauthorized {
		t.Errorf("GitLab wrong token: got %d, want 401", res.Status)
	}
}

func coreGitlab(t *testing.T, h *coreHangar) {
	tests := []struct {
		event, file, slug     string
		wantEvent, wantAction string
		wantRef, wantAfter    string
	}{
		{"Push Hook", "gitlab/push.json", "mike/diaspora", "push", "", "refs/heads/master", "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"},
		{"Tag Push Hook", "gitlab/tag_push.json", "jsmith/example", "tag", "create", "refs/tags/v1.0.0", "82b3d5ae55f7080f1e6022629cdb57bfae7cccc7"},
		{"Merge Request Hook", "gitlab/merge_request.json", "gitlabhq/gitlab-test", "pull_request", "opened", "refs/merge-requests/1/head", "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"},
	}
	for _, tc := range tests {
		res := h.postGitLab(tc.event, corePayload(t, tc.file, nil), coreHookKey)
		if res.Build == nil {
			t.Fatalf("%s: got %d %s, want a build", tc.file, res.Status, res.Body)
		}
		b := res.Build
		if b.Event != tc.wantEvent || b.Action != tc.wantAction || b.Ref != tc.wantRef || b.After != tc.wantAfter || len(b.Stages) != 1 {
			t.Errorf("%s: got %s/%s %s@%s with %d stages, want %s/%s %s@%s with 1", tc.file, b.Event, b.Action, b.Ref, b.After,
				len(b.Stages), tc.wantEvent, tc.wantAction, tc.wantRef, tc.wantAfter)
		}
	}
	want := []coretest.Status{
		{Slug: "mike/diaspora", SHA: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7", State: "pending", Context: "continuous-integration/drone/push",
			Description: "Build is pending", URL: "https://ci.example.com/mike/diaspora/1"},
		{Slug: "jsmith/example", SHA: "82b3d5ae55f7080f1e6022629cdb57bfae7cccc7", State: "pending", Context: "continuous-integration/drone/tag",
			Description: "Build is pending", URL: "https://ci.example.com/jsmith/example/1"},
		{Slug: "gitlabhq/gitlab-test", SHA: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7", State: "pending", Context: "continuous-integration/drone/pr",
			Description: "Build is pending", URL: "https://ci.example.com/gitlabhq/gitlab-test/1"},
	}
	// A finished build and a cancelled one map to GitLab's own states.
	if code := h.api(http.MethodPut, "/repos/mike/diaspora/builds/1/stages/1?scm=gitlab", map[string]any{"status": "success"}, nil); code != http.StatusOK {
		t.Errorf("report: got %d, want 200", code)
	}
	if code := h.api(http.MethodDelete, "/repos/jsmith/example/builds/1?scm=gitlab", nil, nil); code != http.StatusOK {
		t.Errorf("cancel: got %d, want 200", code)
	}
	want = append(want,
		coretest.Status{Slug: "mike/diaspora", SHA: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7", State: "success", Context: "continuous-integration/drone/push",
			Description: "Build is passing", URL: "https://ci.example.com/mike/diaspora/1"},
		coretest.Status{Slug: "jsmith/example", SHA: "82b3d5ae55f7080f1e6022629cdb57bfae7cccc7", State: "canceled", Context: "continuous-integration/drone/tag",
			Description: "Build was killed", URL: "https://ci.example.com/jsmith/example/1"})
	var got []coretest.Status
	for _, st := range h.GitLab.Statuses() {
		if st.Slug != "mike/own-file" { // another subtest's
			got = append(got, st)
		}
	}
	if diff := cmp.Diff(want, got, cmpopts.SortSlices(func(a, b coretest.Status) bool { return a.Slug+a.State < b.Slug+b.State })); diff != "" {
		t.Errorf("GitLab statuses (-want +got):\n%s", diff)
	}
}
