package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hangar-ci/hangar/shared/envconf"
	"github.com/hangar-ci/hangar/shared/msgsig"
)

// TestWoodpeckerCall: `hangar call -woodpecker` signs as Woodpecker does,
// so the endpoints can be tried by hand.
func TestWoodpeckerCall(t *testing.T) {
	t.Parallel()
	h := startWoodpecker(t, false, false, nil)
	lookup := envconf.Map(nil)
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"call", "-woodpecker", "-key", h.KeyFile, "-repo", "octo/hello", "-branch", "release/1.x",
		h.URL + "/woodpecker/config"}, lookup, &out, &errOut)
	if err != nil || !strings.Contains(out.String(), "200 OK") || !strings.Contains(out.String(), "make release") {
		t.Errorf("hangar call -woodpecker: %v\n%s%s\nwant 200 and the release/1.x pipeline", err, out.String(), errOut.String())
	}
	out.Reset()
	err = run(context.Background(), []string{"call", "-woodpecker", "-key", h.KeyFile, "-repo", "octo/hello", "-event", "pull_request",
		"-branch", "main", "-source", "x", "-fork", "visitor/hello", h.URL + "/woodpecker/registry"}, lookup, &out, &errOut)
	// A pull request from a fork gets no registry credentials.
	if err != nil || !strings.Contains(out.String(), `"registries": []`) {
		t.Errorf("registry call for a fork: %v\n%s\nwant 200 and no registries", err, out.String())
	}
	// A key that is not Woodpecker's is refused.
	other := filepath.Join(t.TempDir(), "other.key")
	os.WriteFile(other, []byte(strings.Repeat("ab", 64)), 0o600)
	out.Reset()
	err = run(context.Background(), []string{"call", "-woodpecker", "-key", other, h.URL + "/woodpecker/config"}, lookup, &out, &errOut)
	if err == nil || !strings.Contains(out.String(), "401") {
		t.Errorf("call with another key: %v, %q; want a 401", err, out.String())
	}
}

// TestWoodpeckerOff: without a public key `hangar woodpecker` refuses to
// start, and `hangar all` answers the endpoints with a 404 saying why.
func TestWoodpeckerOff(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	lookup := envconf.Map(map[string]string{"DRONE_BIND": "127.0.0.1:0", "HANGAR_REPO_DIR": "../../config-repo", "DRONE_SECRET": cliSecret})
	err := run(context.Background(), []string{"woodpecker"}, lookup, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "HANGAR_WOODPECKER_PUBLIC_KEY") {
		t.Errorf("hangar woodpecker without a key = %v, want a refusal naming HANGAR_WOODPECKER_PUBLIC_KEY", err)
	}
	h := startWoodpecker(t, false, false, map[string]string{"HANGAR_WOODPECKER_PUBLIC_KEY": ""})
	res, err := http.Post(h.URL+"/woodpecker/config", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("hangar all without a key: /woodpecker/config answered %d, want 404", res.StatusCode)
	}
}

// TestWoodpeckerAlone runs `hangar woodpecker` alone in front of another
// Hangar's Drone endpoints (HANGAR_WOODPECKER_HANGAR_URL): it answers at
// /config as well as /woodpecker/config, each verified against the path
// Woodpecker signed.
func TestWoodpeckerAlone(t *testing.T) {
	t.Parallel()
	backend := startWoodpecker(t, false, false, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	env := map[string]string{
		"DRONE_SECRET":                 wpSecret,
		"HANGAR_REPO_DIR":              backend.RepoDir,
		"HANGAR_WOODPECKER_PUBLIC_KEY": string(msgsig.MarshalPublicKey(backend.Key.Public().(ed25519.PublicKey))),
		"HANGAR_WOODPECKER_HANGAR_URL": backend.URL,
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serveOn(ctx, ln, envconf.Map(env), io.Discard, true, "woodpecker") }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("hangar woodpecker: %v", err)
		}
	})
	waitHealthy(t, base)
	alone := &wpHangar{URL: base, Key: backend.Key}
	for _, path := range []string{"/config", "/woodpecker/config"} {
		status, out := alone.post(t, path, wpBody("octo/hello", push("main")))
		c := configsOf(t, status, out)
		if len(c.Configs) != 1 || !strings.HasSuffix(c.Configs[0].Data, wpRepo["octo/hello/default.yaml"]) {
			t.Errorf("%s: got %+v, want octo/hello/default.yaml", path, c)
		}
	}
}

// TestWoodpeckerRequestID: the calls a Woodpecker request makes to Hangar's
// Drone endpoints carry its request id, so its log lines can be found
// together.
func TestWoodpeckerRequestID(t *testing.T) {
	t.Parallel()
	h := startWoodpecker(t, false, false, nil)
	req, _ := http.NewRequest(http.MethodPost, h.URL+"/woodpecker/config", bytes.NewReader(wpBody("octo/star", push("main"))))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Request-Id", "wp-req-4242")
	res, err := woodpeckerV05(t, h.Key).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	services := map[string]bool{}
	for _, line := range h.Logs.Lines() {
		var l struct{ Service, RequestID string }
		var raw map[string]any
		if json.Unmarshal([]byte(line), &raw) != nil {
			continue
		}
		l.Service, _ = raw["service"].(string)
		l.RequestID, _ = raw["request_id"].(string)
		if l.RequestID == "wp-req-4242" {
			services[l.Service] = true
		}
	}
	for _, s := range []string{"woodpecker", "config", "convert"} {
		if !services[s] {
			t.Errorf("no %s log line with the request id (got %v)", s, services)
		}
	}
}

// TestWoodpeckerKeyServerDown: with the key URL unreachable, `hangar all`
// stays ready (the Drone services must keep serving) and Woodpecker's
// requests get a 503 naming the cause, which Woodpecker retries.
func TestWoodpeckerKeyServerDown(t *testing.T) {
	t.Parallel()
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadURL := "http://" + dead.Addr().String() + "/api/signature/public-key"
	dead.Close()
	h := startWoodpecker(t, false, false, map[string]string{"HANGAR_WOODPECKER_PUBLIC_KEY": deadURL}) // waits for /readyz 200
	status, out := h.post(t, "/woodpecker/config", wpBody("octo/hello", push("main")))
	if status != http.StatusServiceUnavailable || !strings.Contains(string(out), "Woodpecker public key unavailable") {
		t.Errorf("got %d %q, want 503 saying the key is unavailable", status, out)
	}
}
