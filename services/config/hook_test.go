package config

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	droneconfig "github.com/drone/drone-go/plugin/config"

	"github.com/hangar-ci/hangar/shared/scm"
	"github.com/hangar-ci/hangar/shared/scm/scmtest"
	"github.com/hangar-ci/hangar/shared/scmhook"
	"github.com/hangar-ci/hangar/shared/tree"
)

const hookSecret = "config-repo-webhook-secret"

// TestRemoteSourceAndPushHook serves the config repository from the GitHub
// and GitLab APIs, then shows a push webhook (signature checked) dropping
// the cache, and a forged one changing nothing.
func TestRemoteSourceAndPushHook(t *testing.T) {
	t.Parallel()
	push := []byte(`{"ref":"refs/heads/main","after":"0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"}`)
	providers := []struct {
		name   string
		api    func(testing.TB) *scmtest.Server
		client func(*scmtest.Server) (scm.Client, error)
		sign   func(*http.Request, []byte, string)
	}{
		{"github", scmtest.NewGitHub,
			func(s *scmtest.Server) (scm.Client, error) { return scm.NewGitHub(s.URL+"/api/v3/", "t", s.Client()) },
			func(r *http.Request, body []byte, secret string) {
				r.Header.Set("X-GitHub-Event", "push")
				r.Header.Set("X-Hub-Signature-256", scmhook.SignGitHub(body, secret))
			}},
		{"gitlab", scmtest.NewGitLab,
			func(s *scmtest.Server) (scm.Client, error) { return scm.NewGitLab(s.URL+"/api/v4", "t", s.Client()) },
			func(r *http.Request, _ []byte, secret string) {
				r.Header.Set("X-Gitlab-Event", "Push Hook")
				r.Header.Set("X-Gitlab-Token", secret)
			}},
	}
	for _, p := range providers {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			api := p.api(t)
			client, err := p.client(api)
			if err != nil {
				t.Fatal(err)
			}
			api.Set("platform/pipelines", "main", "octo/hello/main.yaml", []byte("v1"))
			url, _ := startService(t, tree.NewRemote(client, "platform/pipelines", "main", time.Hour, discardLogger()),
				map[string]string{"HANGAR_REPO_WEBHOOK_SECRET": hookSecret})
			find := func() string {
				t.Helper()
				got, err := droneconfig.Client(url, testSecret, false).Find(context.Background(), request("octo/hello", "main"))
				if err != nil {
					t.Fatal(err)
				}
				return got.Data
			}
			hook := func(secret string) int {
				t.Helper()
				r, _ := http.NewRequest(http.MethodPost, url+"/hook", bytes.NewReader(push))
				p.sign(r, push, secret)
				res, err := http.DefaultClient.Do(r)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				return res.StatusCode
			}
			if got := find(); got != "v1" {
				t.Fatalf("first lookup = %q, want v1", got)
			}
			api.Set("platform/pipelines", "main", "octo/hello/main.yaml", []byte("v2"))
			if got := find(); got != "v1" {
				t.Fatalf("cached lookup = %q, want v1", got)
			}
			if status := hook("forged-secret"); status != http.StatusUnauthorized {
				t.Errorf("forged hook: status %d, want 401", status)
			}
			if got := find(); got != "v1" {
				t.Errorf("after a forged hook = %q, want the cache untouched (v1)", got)
			}
			if status := hook(hookSecret); status != http.StatusNoContent {
				t.Errorf("signed hook: status %d, want 204", status)
			}
			if got := find(); got != "v2" {
				t.Errorf("after the push hook = %q, want v2", got)
			}
		})
	}
}
