package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yaronf/httpsign"

	"github.com/hangar-ci/hangar/shared/envconf"
	"github.com/hangar-ci/hangar/shared/msgsig"
	"github.com/hangar-ci/hangar/shared/servicetest"
	"github.com/hangar-ci/hangar/shared/vaulttest"
)

const wpSecret = "wp-e2e-drone-secret-0123456789abcdef"

// wpRepo is the central config repository of the Woodpecker tests, its
// pipelines in Woodpecker's own format.
var wpRepo = map[string]string{
	"octo/hello/default.yaml":     "steps:\n  - name: test\n    image: golang:1.22\n    commands: [go test ./...]\n",
	"octo/hello/release/1.x.yaml": "steps:\n  - name: release\n    image: golang:1.22\n    commands: [make release]\n",
	"octo/star/default.star": `load("@hangar//wp.star", "go_step")

def main(ctx):
    return {"steps": [go_step("test", ctx.build.branch)]}
`,
	"octo/multi/default.star": `def main(ctx):
    return [{"steps": [{"name": n, "image": "alpine"}]} for n in ["build", "deploy"]]
`,
	"octo/jn/default.jsonnet": `{ steps: [{ name: "lint", image: "alpine", commands: ["echo " + std.extVar("build.target")] }] }
`,
	"_hangar/lib/wp.star": `def go_step(name, branch):
    return {"name": name, "image": "golang:1.22", "commands": ["go test ./... # on " + branch]}
`,
	"_hangar/woodpecker-secrets.yaml": `secrets:
  - name: docker_password
    path: secret/data/docker
    key: password
    images: [woodpeckerci/plugin-docker-buildx]
  - name: deploy_token
    path: secret/data/deploy
    key: token
`,
	"_hangar/registries.yaml": `registries:
  - address: registry.example.com
    username: octo-bot
    password: registry-password-octo-5e1a
    repos: [octo/*]
  - address: acme.example.com
    username: acme-bot
    password: registry-password-acme-77b0
    repos: [acme/*]
`,
}

// wpHangar is `hangar all` in-process with the config, convert, secret,
// registry and woodpecker services, a real Vault, and a fake Woodpecker
// server that only serves its public key.
type wpHangar struct {
	URL     string
	Key     ed25519.PrivateKey
	KeyFile string // hex, as Woodpecker stores it, for wpsign
	RepoDir string
	Logs    *servicetest.Logs
	Vault   *vaulttest.Server // nil without Vault
	// V03 makes post sign with httpsign v0.3.2 (Woodpecker v3.0–v3.13)
	// through bin/wpsign-v0.3.2 instead of v0.5.2 in process.
	V03 bool
}

// startWoodpecker runs the services; withVault seeds a Vault for the
// secret service, keyURL serves the key from a Woodpecker-like endpoint
// instead of giving it as PEM.
func startWoodpecker(t testing.TB, withVault, keyURL bool, extra map[string]string) *wpHangar {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	h := &wpHangar{Key: priv, RepoDir: t.TempDir(), Logs: &servicetest.Logs{}}
	servicetest.WriteFiles(t, h.RepoDir, wpRepo)
	h.KeyFile = filepath.Join(t.TempDir(), "woodpecker.key")
	if err := os.WriteFile(h.KeyFile, []byte(hex.EncodeToString(priv)), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"DRONE_SECRET":                 wpSecret,
		"HANGAR_REPO_DIR":              h.RepoDir,
		"HANGAR_WOODPECKER_PUBLIC_KEY": string(msgsig.MarshalPublicKey(pub)),
	}
	if keyURL {
		woodpecker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodGet || r.URL.Path != "/api/signature/public-key" {
				http.NotFound(w, r)
				return
			}
			w.Write(msgsig.MarshalPublicKey(pub))
		}))
		t.Cleanup(woodpecker.Close)
		env["HANGAR_WOODPECKER_PUBLIC_KEY"] = woodpecker.URL + "/api/signature/public-key"
	}
	if withVault {
		v := vaulttest.Start(t)
		h.Vault = v
		v.Write(t, "secret/data/docker", map[string]any{"data": map[string]any{
			"password": "docker-password-3f9c", "X-Drone-Repos": "octo/*", "X-Drone-Events": "push,tag,pull_request",
		}})
		v.Write(t, "secret/data/deploy", map[string]any{"data": map[string]any{
			"token": "deploy-token-81d2", "X-Drone-Branches": "main", "X-Drone-Events": "push,promote",
		}})
		env["VAULT_ADDR"], env["VAULT_TOKEN"] = v.Addr, vaulttest.RootToken
	}
	for k, v := range extra {
		env[k] = v
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h.URL = "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- serveOn(ctx, ln, envconf.Map(env), h.Logs, false, "config", "convert", "secret", "registry", "woodpecker")
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("hangar all: %v", err)
		}
	})
	for i := 0; ; i++ {
		res, err := http.Get(h.URL + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case err := <-done:
			t.Fatalf("hangar all stopped: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
		if i > 500 {
			t.Fatalf("hangar all not ready:\n%s", h.Logs.String())
		}
	}
	return h
}

// wpBody is a Woodpecker v3 extension request for repo slug and a pipeline.
func wpBody(slug string, pipeline map[string]any, configuration ...map[string]string) []byte {
	owner, name, _ := strings.Cut(slug, "/")
	req := map[string]any{
		"repo": map[string]any{
			"id": 7, "owner": owner, "name": name, "full_name": slug, "forge_url": "https://git.example.com/" + slug,
			"clone_url": "https://git.example.com/" + slug + ".git", "default_branch": "main", "private": true,
			"trusted": map[string]bool{"network": false, "volumes": false, "security": false}, "config_file": "",
		},
		"pipeline": pipeline,
		"netrc":    map[string]string{"machine": "git.example.com", "login": "woodpecker", "password": "netrc-password-never-logged"},
	}
	if len(configuration) > 0 {
		req["configuration"] = configuration
	}
	var buf bytes.Buffer
	json.NewEncoder(&buf).Encode(req) // as Woodpecker encodes: a trailing newline
	return buf.Bytes()
}

func push(branch string) map[string]any {
	return map[string]any{"number": 3, "event": "push", "branch": branch, "ref": "refs/heads/" + branch,
		"commit": "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678", "message": "a change", "author": "octocat"}
}

func pullRequest(target, source string, fork bool) map[string]any {
	p := map[string]any{"number": 4, "event": "pull_request", "branch": target, "ref": "refs/pull/9/head",
		"refspec": source + ":" + target, "commit": "b1b2c3d4e5f60718293a4b5c6d7e8f9012345678", "author": "visitor"}
	if fork {
		p["from_fork"] = true
	}
	return p
}

// woodpeckerV05 signs as Woodpecker v3.14+ does (httpsign v0.5.2):
// server/services/utils/http.go's signer and client configuration.
func woodpeckerV05(t testing.TB, priv ed25519.PrivateKey) *httpsign.Client {
	t.Helper()
	signer, err := httpsign.NewEd25519Signer(priv, httpsign.NewSignConfig(), httpsign.Headers("@request-target", "content-digest"))
	if err != nil {
		t.Fatal(err)
	}
	return httpsign.NewClient(http.Client{Timeout: 10 * time.Second},
		httpsign.NewClientConfig().SetSignatureName(msgsig.Label).SetSigner(signer))
}

// post sends body signed by httpsign v0.5.2 (or v0.3.2 with V03) and
// returns status and answer.
func (h *wpHangar) post(t testing.TB, path string, body []byte) (int, []byte) {
	t.Helper()
	if h.V03 {
		return h.postV03(t, path, body)
	}
	req, err := http.NewRequest(http.MethodPost, h.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := woodpeckerV05(t, h.Key).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, out
}

// postV03 sends body signed by httpsign v0.3.2 (Woodpecker v3.0–v3.13)
// through bin/wpsign-v0.3.2, built by scripts/tools from tools/wpsign.
func (h *wpHangar) postV03(t testing.TB, path string, body []byte) (int, []byte) {
	t.Helper()
	bin := filepath.Join("..", "..", "bin", "wpsign-v0.3.2")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("%s missing (%v): run scripts/tools, as make test does", bin, err)
	}
	cmd := exec.Command(bin, "-key", h.KeyFile, h.URL+path)
	cmd.Stdin = bytes.NewReader(body)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("wpsign: %v", err)
	}
	status, answer, _ := bytes.Cut(out, []byte("\n"))
	var code int
	for _, c := range status {
		code = code*10 + int(c-'0')
	}
	return code, answer
}

type wpConfigs struct {
	Configs []struct{ Name, Data string } `json:"configs"`
}
