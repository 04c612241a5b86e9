package main

import (
	"fmt"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hangar-ci/hangar/services/core/runnertest"
	"github.com/hangar-ci/hangar/shared/wire"
)

// gitServer serves a bare repository holding one commit through git's own
// http-backend on loopback, only to the given basic-auth credentials. It
// returns the clone URL and the commit.
func gitServer(t *testing.T, login, password string) (string, string) {
	t.Helper()
	git := func(dir string, args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	root := t.TempDir()
	work := filepath.Join(root, "work")
	os.MkdirAll(work, 0o755)
	git(work, "init", "-q", "-b", "master")
	os.WriteFile(filepath.Join(work, "hello.txt"), []byte("hello from the cloned repository\n"), 0o644)
	git(work, "add", "hello.txt")
	git(work, "commit", "-q", "-m", "first")
	sha := git(work, "rev-parse", "HEAD")
	git(root, "clone", "-q", "--bare", work, filepath.Join(root, "srv", "Codertocat", "cloned.git"))
	backend := &cgi.Handler{
		Path: filepath.Join(git(root, "--exec-path"), "git-http-backend"),
		Env:  []string{"GIT_PROJECT_ROOT=" + filepath.Join(root, "srv"), "GIT_HTTP_EXPORT_ALL=1"},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != login || p != password {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "credentials required", http.StatusUnauthorized)
			return
		}
		backend.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/Codertocat/cloned.git", sha
}

// TestRunnerClone has the real runner clone a private repository from a
// git server on loopback that answers only to the netrc of the stage
// details (GitHub's token, as Drone sends it); the token is in no log.
func TestRunnerClone(t *testing.T) {
	t.Parallel()
	for _, d := range coreDialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			url, sha := gitServer(t, "gh-token", "x-oauth-basic")
			h := startCore(t, d, map[string]string{"DRONE_RPC_SECRET": rpcSecret})
			h.activate("github", "Codertocat/cloned", map[string]any{"git_http_url": url, "private": true})
			r := runnertest.Start(t, runnertest.Config{Host: strings.TrimPrefix(h.URL, "http://"), Secret: rpcSecret, Name: "cloner"})
			body := corePayload(t, "github/push.json", func(m map[string]any) {
				coreGitHubRepo("cloned")(m)
				m["after"] = sha
				m["head_commit"].(map[string]any)["id"] = sha
			})
			res := h.postGitHub("push", body, coreHookKey)
			if res.Build == nil {
				t.Fatalf("push: %d %s", res.Status, res.Body)
			}
			b := h.waitBuild(t, "Codertocat/cloned", res.Build.Number, 60*time.Second, "finished", func(b wire.Build) bool { return b.Finished != 0 })
			if b.Status != "success" || stagesSummary(b) != "default=success[clone=success(0) show=success(0)]" {
				t.Fatalf("got %s %s, want success with clone and show", b.Status, stagesSummary(b))
			}
			_, cloneLog := h.raw(http.MethodGet, fmt.Sprintf("/api/repos/Codertocat/cloned/builds/%d/logs/1/1", b.Number))
			code, showLog := h.raw(http.MethodGet, fmt.Sprintf("/api/repos/Codertocat/cloned/builds/%d/logs/1/2", b.Number))
			if got := logText(t, showLog); code != http.StatusOK || !strings.Contains(got, "hello from the cloned repository\n") || !strings.Contains(got, sha) {
				t.Errorf("show step: %d %q, want the file and commit %s", code, got, sha)
			}
			for _, log := range []string{string(cloneLog), string(showLog), r.Log()} {
				if strings.Contains(log, "gh-token") || strings.Contains(log, "x-oauth-basic") {
					t.Errorf("the clone credential is in a log: %s", log)
				}
			}
		})
	}
}
