package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hangar-ci/hangar/services/core/coretest"
	"github.com/hangar-ci/hangar/shared/envconf"
	"github.com/hangar-ci/hangar/shared/httpsig"
	"github.com/hangar-ci/hangar/shared/scmhook"
	"github.com/hangar-ci/hangar/shared/sqldb"
	"github.com/hangar-ci/hangar/shared/wire"
)

const (
	coreSecret      = "e2e-drone-secret-0123456789abcdef"
	coreToken       = "e2e-api-token"
	coreHookKey     = "e2e-webhook-secret"
	corePayloadsDir = "../core/testdata"
)

// coreHangar is `hangar all` running in-process with the core server, the
// real extension services, fake GitHub/GitLab APIs and a webhook recorder.
type coreHangar struct {
	t       testing.TB
	URL     string
	GitHub  *coretest.SCM
	GitLab  *coretest.SCM
	Webhook *coreRecorder
	// Log is everything the server logged.
	Log *coreLog
	// driver and dsn open the server's database (DB).
	driver, dsn string
	dbOnce      sync.Once
	db          *sqldb.DB
}

// DB opens the server's database for reading what it stored, once.
func (h *coreHangar) DB(t testing.TB) *sqldb.DB {
	t.Helper()
	h.dbOnce.Do(func() {
		db, err := sqldb.Open(context.Background(), h.driver, h.dsn)
		if err != nil {
			t.Fatalf("opening the server's database: %v", err)
		}
		h.db = db
		h.t.Cleanup(func() { db.Close() })
	})
	if h.db == nil {
		t.Fatal("the server's database could not be opened")
	}
	return h.db
}

// coreLog collects the server's log lines, safe for concurrent writes.
type coreLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *coreLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *coreLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// coreRecorder receives outbound webhooks and keeps the verified ones.
type coreRecorder struct {
	mu       sync.Mutex
	events   []wire.WebhookPayload
	rejected int
}

func (r *coreRecorder) Events() []wire.WebhookPayload {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]wire.WebhookPayload(nil), r.events...)
}

// coreServices are the services the core end-to-end tests run: every
// extension the core server calls, as far as the binary has them.
func coreServices() []string {
	var out []string
	for _, n := range []string{"config", "convert", "validate", "core"} {
		if _, ok := builderFor(n); ok {
			out = append(out, n)
		}
	}
	return out
}

// startCore runs hangar all on 127.0.0.1:0 over a copy of testdata/core-repo
// and a fresh database of the dialect.
func startCore(t testing.TB, dialect sqldb.Dialect, extra map[string]string) *coreHangar {
	t.Helper()
	return startCoreWith(t, dialect, extra, coreServices(), nil)
}

// startCoreWith is startCore with the services to run and a setup that
// may edit the config repository copy and the environment before start.
func startCoreWith(t testing.TB, dialect sqldb.Dialect, extra map[string]string, services []string, setup func(h *coreHangar, repoDir, hookURL string, env map[string]string)) *coreHangar {
	t.Helper()
	repoDir := t.TempDir()
	if err := os.CopyFS(repoDir, os.DirFS("testdata/core-repo")); err != nil {
		t.Fatal(err)
	}
	h := &coreHangar{t: t, GitHub: coretest.NewGitHub(t), GitLab: coretest.NewGitLab(t), Webhook: &coreRecorder{}, Log: &coreLog{}}
	v, err := httpsig.NewVerifier(coreSecret)
	if err != nil {
		t.Fatal(err)
	}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := v.Verify(r)
		h.Webhook.mu.Lock()
		defer h.Webhook.mu.Unlock()
		if err != nil || r.Header.Get("X-Drone-Event") == "" {
			h.Webhook.rejected++
			http.Error(w, "bad signature", http.StatusBadRequest)
			return
		}
		var p wire.WebhookPayload
		if json.Unmarshal(body, &p) != nil {
			h.Webhook.rejected++
			return
		}
		h.Webhook.events = append(h.Webhook.events, p)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(hook.Close)
	env := map[string]string{
		"DRONE_SECRET":           coreSecret,
		"HANGAR_REPO_DIR":        repoDir,
		"HANGAR_DATA_DIR":        t.TempDir(),
		"HANGAR_API_TOKEN":       coreToken,
		"HANGAR_GITHUB_URL":      h.GitHub.APIURL,
		"HANGAR_GITHUB_TOKEN":    "gh-token",
		"HANGAR_GITLAB_URL":      h.GitLab.APIURL,
		"HANGAR_GITLAB_TOKEN":    "gl-token",
		"DRONE_WEBHOOK_ENDPOINT": hook.URL,
		"DRONE_SERVER_HOST":      "ci.example.com",
		"DRONE_SERVER_PROTO":     "https",
		"DRONE_DATABASE_DRIVER":  string(dialect),
	}
	if dialect == sqldb.Postgres {
		env["DRONE_DATABASE_DATASOURCE"] = corePostgresSchema(t)
	}
	for k, v := range extra {
		env[k] = v
	}
	// Listening first lets setup point links at the server itself.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h.URL = "http://" + ln.Addr().String()
	if setup != nil {
		setup(h, repoDir, hook.URL, env)
	}
	h.driver, h.dsn = env["DRONE_DATABASE_DRIVER"], env["DRONE_DATABASE_DATASOURCE"]
	if h.dsn == "" {
		h.dsn = "file:" + filepath.Join(env["HANGAR_DATA_DIR"], "core.db")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serveOn(ctx, ln, envconf.Map(env), h.Log, false, services...) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("hangar all: %v", err)
		}
	})
	for i := 0; ; i++ {
		res, err := http.Get(h.URL + "/healthz")
		if err == nil {
			res.Body.Close()
			break
		}
		select {
		case err := <-done:
			t.Fatalf("hangar all stopped: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
		if i > 500 {
			t.Fatal("hangar all did not start")
		}
	}
	return h
}

// corePostgresSchema returns a DSN whose search_path is a fresh schema,
// dropped after the test.
func corePostgresSchema(t testing.TB) string {
	t.Helper()
	return sqldb.TestPostgresDSN(t)
}

// api calls the core REST API with the token and decodes a 2xx answer
// into out.
func (h *coreHangar) api(method, path string, in, out any) int {
	h.t.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, h.URL+"/core/api"+path, body)
	req.Header.Set("Authorization", "Bearer "+coreToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if out != nil && res.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			h.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return res.StatusCode
}

// activate activates a repository with the shared webhook secret.
func (h *coreHangar) activate(scm, slug string, settings map[string]any) {
	h.t.Helper()
	ns, name := filepath.Split(slug)
	in := map[string]any{"namespace": ns[:len(ns)-1], "name": name, "scm": scm, "secret": coreHookKey}
	for k, v := range settings {
		in[k] = v
	}
	if code := h.api(http.MethodPost, "/repos", in, nil); code != http.StatusCreated {
		h.t.Fatalf("activating %s: got status %d, want 201", slug, code)
	}
}

// builds lists a repository's builds, newest first, with their stages.
func (h *coreHangar) builds(slug string) []wire.Build {
	h.t.Helper()
	var list []wire.Build
	if code := h.api(http.MethodGet, "/repos/"+slug+"/builds?per_page=100", nil, &list); code != http.StatusOK {
		h.t.Fatalf("listing builds of %s: status %d", slug, code)
	}
	return list
}

func (h *coreHangar) build(slug string, number int64) wire.Build {
	h.t.Helper()
	var b wire.Build
	if code := h.api(http.MethodGet, fmt.Sprintf("/repos/%s/builds/%d", slug, number), nil, &b); code != http.StatusOK {
		h.t.Fatalf("build %s#%d: status %d", slug, number, code)
	}
	return b
}

// corePayload reads a recorded webhook payload and applies edits to its JSON
// (e.g. pointing it at another repository of the test tree).
func corePayload(t testing.TB, file string, edit func(map[string]any)) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(corePayloadsDir, file))
	if err != nil {
		t.Fatal(err)
	}
	if edit == nil {
		return b
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// coreGitHubRepo points a GitHub payload at Codertocat/<name>.
func coreGitHubRepo(name string) func(map[string]any) {
	return func(m map[string]any) {
		r := m["repository"].(map[string]any)
		r["name"], r["full_name"] = name, "Codertocat/"+name
	}
}

// coreHookResult is the core server's answer to a hook.
type coreHookResult struct {
	Status int
	Build  *wire.Build
	Body   string
}

// coreHookClient keeps enough idle connections for concurrent hooks, as an
// SCM's delivery workers would.
var coreHookClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxIdleConns: 256}}

// postGitHub posts a GitHub webhook signed with secret ("" = unsigned).
func (h *coreHangar) postGitHub(event string, body []byte, secret string) coreHookResult {
	h.t.Helper()
	hdr := http.Header{"X-GitHub-Event": {event}, "Content-Type": {"application/json"}, "X-GitHub-Delivery": {"e2e"}}
	if secret != "" {
		hdr.Set("X-Hub-Signature-256", scmhook.SignGitHub(body, secret))
	}
	return h.post(hdr, body)
}

// postGitLab posts a GitLab webhook with token ("" = none).
func (h *coreHangar) postGitLab(event string, body []byte, token string) coreHookResult {
	h.t.Helper()
	hdr := http.Header{"X-Gitlab-Event": {event}, "Content-Type": {"application/json"}}
	if token != "" {
		hdr.Set("X-Gitlab-Token", token)
	}
	return h.post(hdr, body)
}

func (h *coreHangar) post(hdr http.Header, body []byte) coreHookResult {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.URL+"/core/hook", bytes.NewReader(body))
	req.Header = hdr
	res, err := coreHookClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	out := coreHookResult{Status: res.StatusCode, Body: string(b)}
	if res.StatusCode == http.StatusOK && len(bytes.TrimSpace(b)) > 0 && string(bytes.TrimSpace(b)) != "null" {
		out.Build = new(wire.Build)
		if err := json.Unmarshal(b, out.Build); err != nil {
			h.t.Fatalf("hook answer %s: %v", b, err)
		}
	}
	return out
}
