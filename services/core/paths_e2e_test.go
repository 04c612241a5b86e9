package core

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hangar-ci/hangar/services/core/coretest"
	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/services/core/store"
	"github.com/hangar-ci/hangar/shared/pipeline"
	"github.com/hangar-ci/hangar/shared/scm/scmtest"
	"github.com/hangar-ci/hangar/shared/scmhook"
	"github.com/hangar-ci/hangar/shared/server"
	"github.com/hangar-ci/hangar/shared/sqldb"
)

const monorepoYAML = `kind: pipeline
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
  paths:
    include: [web/**]
    exclude: ['**/*.md']
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

const (
	ghSlug    = "octo/mono"
	glSlug    = "group/mono"
	zeroSHA40 = "0000000000000000000000000000000000000000"
	repoKey   = "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk" // 32 bytes: hooks and signatures
)

// pathsHarness is the core server over SQLite with the GitHub and GitLab
// fakes, answering webhooks at /hook and the API at /api.
type pathsHarness struct {
	t      *testing.T
	srv    *httptest.Server
	st     *store.Store
	gh, gl *coretest.SCM
}

func newPathsHarness(t *testing.T) *pathsHarness {
	t.Helper()
	h := &pathsHarness{t: t, gh: coretest.NewGitHub(t), gl: coretest.NewGitLab(t)}
	st, err := store.New(context.Background(), sqldb.TestDB(t, sqldb.SQLite))
	if err != nil {
		t.Fatal(err)
	}
	h.st = st
	env := map[string]string{"HANGAR_API_TOKEN": "tok", "HANGAR_GITHUB_URL": h.gh.APIURL, "HANGAR_GITHUB_TOKEN": "gh",
		"HANGAR_GITLAB_URL": h.gl.APIURL, "HANGAR_GITLAB_TOKEN": "gl"}
	opts, err := OptionsFromEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok }, "")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := NewWithStore(opts, server.Env{}, st)
	if err != nil {
		t.Fatal(err)
	}
	h.srv = httptest.NewServer(svc.Handler)
	t.Cleanup(h.srv.Close)
	for _, r := range []*model.Repo{
		{Namespace: "octo", Name: "mono", Slug: ghSlug, SCM: "github", Branch: "main", Active: true, Config: ".drone.yml", Secret: repoKey},
		{Namespace: "group", Name: "mono", Slug: glSlug, SCM: "gitlab", Branch: "main", Active: true, Config: ".drone.yml", Secret: repoKey},
	} {
		if err := st.CreateRepo(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

// commit adds a commit to both fakes, with the pipeline file at it.
func (h *pathsHarness) commit(sha, parent, yaml string, files ...scmtest.Change) {
	for _, s := range []struct {
		fake *coretest.SCM
		slug string
	}{{h.gh, ghSlug}, {h.gl, glSlug}} {
		s.fake.History.Commit(s.slug, sha, parent, files...)
		s.fake.SetFile(s.slug, sha, ".drone.yml", []byte(yaml))
	}
}

// patch sets dotted keys of a JSON payload.
func patch(t *testing.T, body []byte, set map[string]any) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	for k, v := range set {
		parts := strings.Split(k, ".")
		cur := m
		for _, p := range parts[:len(parts)-1] {
			next, ok := cur[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				cur[p] = next
			}
			cur = next
		}
		cur[parts[len(parts)-1]] = v
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// send posts a signed webhook and returns the build number (0: none).
func (h *pathsHarness) send(provider, event string, body []byte) int64 {
	h.t.Helper()
	req, _ := http.NewRequest("POST", h.srv.URL+"/hook", bytes.NewReader(body))
	if provider == "github" {
		req.Header.Set("X-GitHub-Event", event)
		req.Header.Set("X-Hub-Signature-256", scmhook.SignGitHub(body, repoKey))
	} else {
		req.Header.Set("X-Gitlab-Event", event)
		req.Header.Set("X-Gitlab-Token", repoKey)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	var b *struct {
		Number int64 `json:"number"`
		Error  string
	}
	if res.StatusCode != http.StatusOK || json.NewDecoder(res.Body).Decode(&b) != nil {
		h.t.Fatalf("hook answered %d", res.StatusCode)
	}
	if b == nil {
		return 0
	}
	if b.Error != "" {
		h.t.Fatalf("error build: %s", b.Error)
	}
	return b.Number
}

func (h *pathsHarness) push(provider, before, after, branch string) int64 {
	h.t.Helper()
	if provider == "github" {
		body := patch(h.t, readPayload(h.t, "github/push.json"), map[string]any{
			"ref": "refs/heads/" + branch, "before": before, "after": after, "repository.full_name": ghSlug,
			"head_commit.id": after, "head_commit.message": "change " + after,
		})
		return h.send("github", "push", body)
	}
	body := patch(h.t, readPayload(h.t, "gitlab/push.json"), map[string]any{
		"ref": "refs/heads/" + branch, "before": before, "after": after, "checkout_sha": after,
		"project.path_with_namespace": glSlug, "commits": []any{map[string]any{"id": after, "message": "change " + after}},
	})
	return h.send("gitlab", "Push Hook", body)
}

func (h *pathsHarness) pull(provider string, number int, base, head string) int64 {
	h.t.Helper()
	if provider == "github" {
		body := patch(h.t, readPayload(h.t, "github/pull_request_opened.json"), map[string]any{
			"number": number, "pull_request.number": number, "pull_request.head.sha": head, "pull_request.base.sha": base,
			"pull_request.base.ref": "main", "repository.full_name": ghSlug,
		})
		return h.send("github", "pull_request", body)
	}
	body := patch(h.t, readPayload(h.t, "gitlab/merge_request.json"), map[string]any{
		"object_attributes.iid": number, "object_attributes.last_commit.id": head, "object_attributes.target_branch": "main",
		"project.path_with_namespace": glSlug,
	})
	return h.send("gitlab", "Merge Request Hook", body)
}

// build reads a build through the API: its stages and path report.
func (h *pathsHarness) build(slug string, number int64) ([]string, *model.PathReport) {
	h.t.Helper()
	code, body := call(h.t, h.srv, "GET", "/api/repos/"+slug+"/builds/"+strconv.FormatInt(number, 10), "tok", "")
	if code != http.StatusOK {
		h.t.Fatalf("GET build: %d %s", code, body)
	}
	var b struct {
		Stages []struct{ Name, Status string }
		Paths  *model.PathReport
	}
	if err := json.Unmarshal([]byte(body), &b); err != nil {
		h.t.Fatal(err)
	}
	var stages []string
	for _, s := range b.Stages {
		stages = append(stages, s.Name+":"+s.Status)
	}
	return stages, b.Paths
}

func slugOf(provider string) string {
	if provider == "github" {
		return ghSlug
	}
	return glSlug
}

// TestPathsEndToEnd sends real webhooks to the core with the GitHub and
// GitLab fakes answering compare, pull request files and merge request
// diffs, and reads the decisions back through the API.
func TestPathsEndToEnd(t *testing.T) {
	t.Parallel()
	for _, provider := range []string{"github", "gitlab"} {
		t.Run(provider, func(t *testing.T) {
			t.Parallel()
			h := newPathsHarness(t)
			slug := slugOf(provider)
			fake := h.gh
			if provider == "gitlab" {
				fake = h.gl
			}
			h.commit("m1", "", monorepoYAML, scmtest.Change{Path: "README.md"})
			h.commit("m2", "m1", monorepoYAML, scmtest.Change{Path: "services/api/x.go"})
			fake.History.Branch(slug, "main", "m2")

			t.Run("push touching services/api runs api and skips web", func(t *testing.T) {
				n := h.push(provider, "m1", "m2", "main")
				stages, rep := h.build(slug, n)
				if d := cmp.Diff([]string{"api:pending", "deploy:waiting_on_dependencies"}, stages); d != "" {
					t.Errorf("stages (-want +got):\n%s", d)
				}
				want := &model.PathReport{ChangedFiles: 1, Note: "compared m1...m2", Decisions: []model.PathDecision{
					{Pipeline: "api", Run: true},
					{Pipeline: "api", Step: "docs", Reason: "skipped: no change under services/api/docs/**"},
					{Pipeline: "web", Reason: "skipped: no change under web/**"},
					{Pipeline: "deploy", Run: true},
				}}
				if d := cmp.Diff(want, rep); d != "" {
					t.Errorf("path report (-want +got):\n%s", d)
				}
			})

			t.Run("a new branch pushed with three commits considers all three", func(t *testing.T) {
				h.commit("b1", "m2", monorepoYAML, scmtest.Change{Path: "web/app.ts"})
				h.commit("b2", "b1", monorepoYAML, scmtest.Change{Path: "services/api/docs/a.md"})
				h.commit("b3", "b2", monorepoYAML, scmtest.Change{Path: "NOTES.md"})
				n := h.push(provider, zeroSHA40, "b3", "feature")
				stages, rep := h.build(slug, n)
				if d := cmp.Diff([]string{"api:pending", "web:pending", "deploy:waiting_on_dependencies"}, stages); d != "" {
					t.Errorf("stages (-want +got):\n%s", d)
				}
				if rep.ChangedFiles != 3 || rep.Incomplete || !strings.Contains(rep.Note, "new branch") {
					t.Errorf("report %+v: want 3 files from the merge base with main", rep)
				}
				for _, d := range rep.Decisions {
					if d.Step != "" {
						t.Errorf("step %s/%s skipped, want it run (services/api/docs changed)", d.Pipeline, d.Step)
					}
				}
			})

			t.Run("a force push counts the replaced commits", func(t *testing.T) {
				// The old tip touched the API; the new one replaces it with
				// a web change: the API went back, so api runs too.
				h.commit("o1", "m2", monorepoYAML, scmtest.Change{Path: "services/api/reverted.go"})
				h.commit("w1", "m2", monorepoYAML, scmtest.Change{Path: "web/x.ts"})
				n := h.push(provider, "o1", "w1", "main")
				stages, rep := h.build(slug, n)
				if d := cmp.Diff([]string{"api:pending", "web:pending", "deploy:waiting_on_dependencies"}, stages); d != "" {
					t.Errorf("stages (-want +got):\n%s", d)
				}
				if rep.ChangedFiles != 2 || !strings.Contains(rep.Note, "force push") {
					t.Errorf("report %+v: want 2 files and a note saying force push", rep)
				}
			})

			t.Run("a pull request considers its own files", func(t *testing.T) {
				// The head commit touches the API, the request's own files only
				// the web app: compared with the base's tip it would be api.
				h.commit("p1", "m2", monorepoYAML, scmtest.Change{Path: "services/api/z.go"})
				fake.History.Pull(slug, 7, scmtest.Change{Path: "web/new.ts", OldPath: "services/api/moved.ts"})
				n := h.pull(provider, 7, "m1", "p1")
				stages, rep := h.build(slug, n)
				// The rename's old path is under services/api: api runs too.
				if d := cmp.Diff([]string{"api:pending", "web:pending", "deploy:waiting_on_dependencies"}, stages); d != "" {
					t.Errorf("stages (-want +got):\n%s", d)
				}
				if rep.ChangedFiles != 2 || !strings.Contains(rep.Note, "request 7") {
					t.Errorf("report %+v: want the request's 2 paths (rename old and new)", rep)
				}
				fake.History.Pull(slug, 8, scmtest.Change{Path: "web/only.ts"})
				n = h.pull(provider, 8, "m1", "p1")
				if stages, _ := h.build(slug, n); !cmp.Equal(stages, []string{"web:pending", "deploy:waiting_on_dependencies"}) {
					t.Errorf("request 8 stages = %v, want web and deploy", stages)
				}
			})

			t.Run("only excluded files and nothing matching creates no build", func(t *testing.T) {
				gated := strings.Replace(monorepoYAML, "depends_on: [api, web]", "depends_on: [api, web]\ntrigger:\n  paths: {include: [services/**, web/**], exclude: ['**/*.md']}", 1)
				h.commit("d1", "m2", gated, scmtest.Change{Path: "web/README.md"})
				if n := h.push(provider, "m2", "d1", "main"); n != 0 {
					stages, _ := h.build(slug, n)
					t.Errorf("build %d with stages %v, want none (web excludes **/*.md)", n, stages)
				}
			})
		})
	}
}

// TestPathsCompareCap runs everything, with the reason recorded, when
// GitHub's compare answers at its 300-file cap or GitLab's timed out.
func TestPathsCompareCap(t *testing.T) {
	t.Parallel()
	for _, provider := range []string{"github", "gitlab"} {
		t.Run(provider, func(t *testing.T) {
			t.Parallel()
			h := newPathsHarness(t)
			h.commit("m1", "", monorepoYAML, scmtest.Change{Path: "README.md"})
			h.commit("c1", "m1", monorepoYAML, scmtest.Files("docs", 300)...)
			want := "300 files"
			if provider == "gitlab" {
				h.gl.History.CompareTimeout(glSlug)
				want = "timed out"
			}
			n := h.push(provider, "m1", "c1", "main")
			stages, rep := h.build(slugOf(provider), n)
			if d := cmp.Diff([]string{"api:pending", "web:pending", "deploy:waiting_on_dependencies"}, stages); d != "" {
				t.Errorf("stages (-want +got):\n%s", d)
			}
			if !rep.Incomplete || !strings.Contains(rep.Note, want) {
				t.Errorf("report %+v: want incomplete with a note saying %q", rep, want)
			}
			for _, d := range rep.Decisions {
				if !d.Run {
					t.Errorf("%+v skipped, want everything run", d)
				}
			}
		})
	}
}

// TestPathsProtected filters a protected repository's signed pipeline
// without touching it: the signature verifies (stages pending, not
// blocked) and web is still skipped.
func TestPathsProtected(t *testing.T) {
	t.Parallel()
	h := newPathsHarness(t)
	m, err := pipeline.Parse([]byte(monorepoYAML))
	if err != nil {
		t.Fatal(err)
	}
	hmac, err := m.Sign([]byte(repoKey))
	if err != nil {
		t.Fatal(err)
	}
	signed := monorepoYAML + "---\nkind: signature\nhmac: " + hmac + "\n"
	repo, err := h.st.FindRepoSlug(context.Background(), "github", ghSlug)
	if err != nil {
		t.Fatal(err)
	}
	repo.Protected = true
	if err := h.st.UpdateRepo(context.Background(), repo); err != nil {
		t.Fatal(err)
	}
	h.commit("m1", "", signed, scmtest.Change{Path: "README.md"})
	h.commit("m2", "m1", signed, scmtest.Change{Path: "services/api/x.go"})
	h.commit("m3", "m2", monorepoYAML+"---\nkind: signature\nhmac: 00\n", scmtest.Change{Path: "services/api/y.go"})
	stages, _ := h.build(ghSlug, h.push("github", "m1", "m2", "main"))
	if d := cmp.Diff([]string{"api:pending", "deploy:waiting_on_dependencies"}, stages); d != "" {
		t.Errorf("signed: stages (-want +got):\n%s", d)
	}
	// A bad signature still blocks, paths or not.
	stages, _ = h.build(ghSlug, h.push("github", "m2", "m3", "main"))
	if d := cmp.Diff([]string{"api:blocked", "deploy:blocked"}, stages); d != "" {
		t.Errorf("bad signature: stages (-want +got):\n%s", d)
	}
}
