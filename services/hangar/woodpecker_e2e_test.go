package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestWoodpeckerEndToEnd sends Woodpecker's requests, signed by the
// library Woodpecker signs with, to `hangar all` over loopback: the key is
// fetched from a Woodpecker-like key endpoint, configs come from the
// central repository (Starlark rendered with a shared library), secrets
// from a real Vault scoped as for Drone, registries from the file.
func TestWoodpeckerEndToEnd(t *testing.T) {
	t.Parallel()
	h := startWoodpecker(t, true, true, nil)
	cases := []struct {
		name string
		run  func(*testing.T, *wpHangar)
	}{
		{"config found", wpConfigFound},
		{"per-branch config", wpConfigPerBranch},
		{"no central config", wpConfigNone},
		{"Starlark rendered with a shared library", wpConfigStarlark},
		{"Jsonnet rendered", wpConfigJsonnet},
		{"several documents are several workflows", wpConfigWorkflows},
		{"restart gets its first answer back", wpConfigRestart},
		{"repository scripts rendered once", wpConfigRepositoryScripts},
		{"secrets released and refused", wpSecrets},
		{"registries scoped", wpRegistries},
	}
	// Woodpecker v3.14+ signs with httpsign v0.5.2, v3.0–v3.13 with v0.3.2.
	for _, v03 := range []bool{false, true} {
		signer := map[bool]string{false: "httpsign v0.5.2", true: "httpsign v0.3.2"}[v03]
		t.Run(signer, func(t *testing.T) {
			h.V03 = v03
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) { tc.run(t, h) })
			}
		})
	}
	h.V03 = false
	t.Run("Vault down is a 503 with the reason", func(t *testing.T) { wpVaultDown(t, h) })
	if strings.Contains(h.Logs.String(), "netrc-password-never-logged") || strings.Contains(h.Logs.String(), "docker-password-3f9c") {
		t.Error("a secret value reached the log")
	}
}

func configsOf(t *testing.T, status int, body []byte) wpConfigs {
	t.Helper()
	if status != http.StatusOK {
		t.Fatalf("status %d %s, want 200", status, body)
	}
	var c wpConfigs
	if err := json.Unmarshal(body, &c); err != nil {
		t.Fatalf("answer %s: %v", body, err)
	}
	return c
}

func (h *wpHangar) config(t *testing.T, body []byte) wpConfigs {
	t.Helper()
	status, out := h.post(t, "/woodpecker/config", body)
	return configsOf(t, status, out)
}

// dataOf returns the only config's data without Hangar's mark line.
func dataOf(t *testing.T, c wpConfigs) (name, data string) {
	t.Helper()
	if len(c.Configs) != 1 {
		t.Fatalf("got %d configs, want 1: %+v", len(c.Configs), c)
	}
	mark, rest, _ := strings.Cut(c.Configs[0].Data, "\n")
	if !strings.HasPrefix(mark, "# hangar-woodpecker: mac=") {
		t.Errorf("first line %q, want Hangar's mark", mark)
	}
	return c.Configs[0].Name, rest
}

func wpConfigFound(t *testing.T, h *wpHangar) {
	name, data := dataOf(t, h.config(t, wpBody("octo/hello", push("main"))))
	if name != "hangar.yaml" || data != wpRepo["octo/hello/default.yaml"] {
		t.Errorf("got %s %q, want hangar.yaml with octo/hello/default.yaml", name, data)
	}
}

func wpConfigPerBranch(t *testing.T, h *wpHangar) {
	_, data := dataOf(t, h.config(t, wpBody("octo/hello", push("release/1.x"))))
	if data != wpRepo["octo/hello/release/1.x.yaml"] {
		t.Errorf("got %q, want octo/hello/release/1.x.yaml", data)
	}
	// A pull request into release/1.x gets the target branch's pipeline.
	_, data = dataOf(t, h.config(t, wpBody("octo/hello", pullRequest("release/1.x", "fix", false))))
	if data != wpRepo["octo/hello/release/1.x.yaml"] {
		t.Errorf("pull request: got %q, want octo/hello/release/1.x.yaml", data)
	}
}

func wpConfigNone(t *testing.T, h *wpHangar) {
	if status, out := h.post(t, "/woodpecker/config", wpBody("nobody/x", push("main"))); status != http.StatusNoContent || len(out) != 0 {
		t.Errorf("got %d %q, want 204 and no body", status, out)
	}
	// v3.14+ sends the repository's files: they come back as they are (a
	// 204 would cost Woodpecker retries first).
	own := map[string]string{"name": ".woodpecker/build.yaml", "data": "steps: []\n"}
	c := h.config(t, wpBody("nobody/x", push("main"), own))
	if len(c.Configs) != 1 || c.Configs[0].Name != own["name"] || c.Configs[0].Data != own["data"] {
		t.Errorf("got %+v, want the repository's own file unchanged", c)
	}
	// A repository cannot skip the central pipeline by forging the mark.
	forged := map[string]string{"name": "hangar.yaml", "data": "# hangar-woodpecker: mac=AAAA\nsteps: []\n"}
	_, data := dataOf(t, h.config(t, wpBody("octo/hello", push("main"), forged)))
	if data != wpRepo["octo/hello/default.yaml"] {
		t.Errorf("forged mark: got %q, want the central pipeline", data)
	}
}

func wpConfigStarlark(t *testing.T, h *wpHangar) {
	_, data := dataOf(t, h.config(t, wpBody("octo/star", push("dev"))))
	for _, want := range []string{"image: golang:1.22", "go test ./... # on dev"} {
		if !strings.Contains(data, want) {
			t.Errorf("rendered:\n%s\nwant it to contain %q", data, want)
		}
	}
	if strings.Contains(data, "def main") {
		t.Errorf("got the script itself, want its YAML:\n%s", data)
	}
}

func wpConfigJsonnet(t *testing.T, h *wpHangar) {
	_, data := dataOf(t, h.config(t, wpBody("octo/jn", push("feature/j"))))
	if !strings.Contains(data, "echo feature/j") || strings.Contains(data, "extVar") {
		t.Errorf("rendered:\n%s\nwant the Jsonnet's YAML with the branch", data)
	}
}

// wpConfigWorkflows: a script returning two pipelines, as Drone reads
// them, gives Woodpecker two workflow files.
func wpConfigWorkflows(t *testing.T, h *wpHangar) {
	c := h.config(t, wpBody("octo/multi", push("main")))
	if len(c.Configs) != 2 || c.Configs[0].Name != "hangar-1.yaml" || c.Configs[1].Name != "hangar-2.yaml" ||
		!strings.Contains(c.Configs[0].Data, "name: build") || !strings.Contains(c.Configs[1].Data, "name: deploy") {
		t.Errorf("got %+v, want hangar-1.yaml (build) and hangar-2.yaml (deploy)", c)
	}
}

// wpConfigRestart restarts a pipeline as Woodpecker does: the stored
// answer comes back as configuration and is answered unchanged, even after
// the central file changed (the restart runs what the first run ran), and
// nothing is rendered again.
func wpConfigRestart(t *testing.T, h *wpHangar) {
	status, first := h.post(t, "/woodpecker/config", wpBody("octo/star", push("restart")))
	stored := configsOf(t, status, first)
	file := filepath.Join(h.RepoDir, "octo/star/default.star")
	if err := os.WriteFile(file, []byte("def main(ctx):\n    return {\"steps\": [{\"name\": \"changed\", \"image\": \"alpine\"}]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.WriteFile(file, []byte(wpRepo["octo/star/default.star"]), 0o644) })
	conversions := h.Logs.String()
	if !strings.Contains(conversions, `"service":"convert"`) {
		t.Fatal("the first answer left no convert access log line; the count below would prove nothing")
	}
	var configuration []map[string]string
	for _, c := range stored.Configs {
		configuration = append(configuration, map[string]string{"name": c.Name, "data": c.Data})
	}
	restart := wpBody("octo/star", push("restart"), configuration...)
	again := h.config(t, restart)
	if diff := cmp.Diff(stored, again); diff != "" {
		t.Errorf("restart answer differs from the first (-first +restart):\n%s", diff)
	}
	if n := strings.Count(h.Logs.String()[len(conversions):], `"service":"convert"`); n != 0 {
		t.Errorf("restart ran %d conversions, want 0", n)
	}
	if !strings.Contains(h.Logs.String(), `"config":"restart"`) {
		t.Error("no log line says the config was a restart")
	}
	if !strings.Contains(metrics(t, h.URL), `hangar_woodpecker_answers_total{endpoint="config",outcome="restart"}`) {
		t.Error("no restart counted in /metrics")
	}
}

// wpConfigRepositoryScripts: with nothing central, a repository's own
// Starlark file (sent as configuration, v3.14+) is rendered and marked; its
// restart is passed through rather than rendered a second time.
func wpConfigRepositoryScripts(t *testing.T, h *wpHangar) {
	script := map[string]string{"name": ".woodpecker/build.star",
		"data": "def main(ctx):\n    return {\"steps\": [{\"name\": \"own\", \"image\": \"alpine\", \"commands\": [\"echo \" + ctx.build.branch]}]}\n"}
	yaml := map[string]string{"name": ".woodpecker/lint.yaml", "data": "steps: []\n"}
	c := h.config(t, wpBody("nobody/scripted", push("main"), script, yaml))
	if len(c.Configs) != 2 || c.Configs[0].Name != ".woodpecker/build.yaml" || !strings.Contains(c.Configs[0].Data, "echo main") ||
		c.Configs[1].Name != ".woodpecker/lint.yaml" || c.Configs[1].Data != "steps: []\n" {
		t.Fatalf("got %+v, want build.star rendered to build.yaml and lint.yaml kept", c)
	}
	var configuration []map[string]string
	for _, f := range c.Configs {
		configuration = append(configuration, map[string]string{"name": f.Name, "data": f.Data})
	}
	// lint.yaml is the repository's own and unmarked: this is not a
	// restart of Hangar's output alone, so the lookup runs, finds nothing
	// central and keeps every file as it is (build.yaml is already Hangar's,
	// and its mark keeps it from being rendered again).
	again := h.config(t, wpBody("nobody/scripted", push("main"), configuration...))
	if diff := cmp.Diff(c, again); diff != "" {
		t.Errorf("second pass rendered again (-first +second):\n%s", diff)
	}
}

// wpSecrets: the same scoping as for Drone — repository, event, branch and
// fork — decided by the secret service over a real Vault.
func wpSecrets(t *testing.T, h *wpHangar) {
	type secret struct {
		Name   string   `json:"name"`
		Value  string   `json:"value"`
		Images []string `json:"images"`
		Events []string `json:"events"`
	}
	tests := []struct {
		name string
		body []byte
		want []secret
	}{
		{"push to main gets both", wpBody("octo/hello", push("main")), []secret{
			{"docker_password", "docker-password-3f9c", []string{"woodpeckerci/plugin-docker-buildx"}, []string{"push"}},
			{"deploy_token", "deploy-token-81d2", nil, []string{"push"}},
		}},
		{"push to dev: deploy token is main only", wpBody("octo/hello", push("dev")), []secret{
			{"docker_password", "docker-password-3f9c", []string{"woodpeckerci/plugin-docker-buildx"}, []string{"push"}},
		}},
		{"pull request from the repository", wpBody("octo/hello", pullRequest("main", "feature", false)), []secret{
			{"docker_password", "docker-password-3f9c", []string{"woodpeckerci/plugin-docker-buildx"}, []string{"pull_request"}},
		}},
		{"pull request from a fork gets nothing", wpBody("octo/hello", pullRequest("main", "feature", true)), []secret{}},
		{"other repository: docker password is octo/* only", wpBody("acme/x", push("main")), []secret{
			{"deploy_token", "deploy-token-81d2", nil, []string{"push"}},
		}},
		{"deployment is Drone's promote", wpBody("acme/x", map[string]any{"event": "deployment", "branch": "main", "deploy_to": "prod"}), []secret{
			{"deploy_token", "deploy-token-81d2", nil, []string{"deployment"}},
		}},
		{"cron is refused by both", wpBody("octo/hello", map[string]any{"event": "cron", "branch": "main", "cron": "nightly"}), []secret{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, out := h.post(t, "/woodpecker/secret", tt.body)
			var got struct {
				Secrets []secret `json:"secrets"`
			}
			if status != http.StatusOK || json.Unmarshal(out, &got) != nil {
				t.Fatalf("got %d %s, want 200 and secrets", status, out)
			}
			if diff := cmp.Diff(tt.want, got.Secrets); diff != "" {
				t.Errorf("secrets (-want +got):\n%s", diff)
			}
		})
	}
}

func wpRegistries(t *testing.T, h *wpHangar) {
	type registry struct{ Address, Username, Password string }
	octo := []registry{{"registry.example.com", "octo-bot", "registry-password-octo-5e1a"}}
	for _, tc := range []struct {
		name string
		body []byte
		want []registry
	}{
		{"octo push", wpBody("octo/hello", push("main")), octo},
		{"octo pull request", wpBody("octo/hello", pullRequest("main", "x", false)), octo},
		{"octo pull request from a fork", wpBody("octo/hello", pullRequest("main", "x", true)), []registry{}},
		{"acme push", wpBody("acme/x", push("main")), []registry{{"acme.example.com", "acme-bot", "registry-password-acme-77b0"}}},
		{"no entry", wpBody("nobody/x", push("main")), []registry{}},
	} {
		slug, want := tc.name, tc.want
		status, out := h.post(t, "/woodpecker/registry", tc.body)
		var got struct {
			Registries []registry `json:"registries"`
		}
		if status != http.StatusOK || json.Unmarshal(out, &got) != nil {
			t.Fatalf("%s: got %d %s, want 200 and registries", slug, status, out)
		}
		if diff := cmp.Diff(want, got.Registries); diff != "" {
			t.Errorf("%s: registries (-want +got):\n%s", slug, diff)
		}
	}
}

// TestWoodpeckerExclusive: with the config service exclusive, a repository
// without a central pipeline is an error naming it, not a 204.
func TestWoodpeckerExclusive(t *testing.T) {
	t.Parallel()
	h := startWoodpecker(t, false, false, map[string]string{"HANGAR_CONFIG_EXCLUSIVE": "true"})
	status, out := h.post(t, "/woodpecker/config", wpBody("nobody/x", push("main")))
	if status != http.StatusNotFound || !strings.Contains(string(out), "nobody/x") {
		t.Errorf("got %d %q, want 404 naming nobody/x", status, out)
	}
}

// wpVaultDown: a failing backend fails the answer visibly (Woodpecker
// retries a 5xx) instead of handing out a shorter list.
func wpVaultDown(t *testing.T, h *wpHangar) {
	h.Vault.Stop()
	status, out := h.post(t, "/woodpecker/secret", wpBody("octo/hello", push("main")))
	if status != http.StatusServiceUnavailable || !strings.Contains(string(out), "secret backend unavailable") {
		t.Errorf("got %d %q, want 503 saying the secret backend is unavailable", status, out)
	}
}
