package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hangar-ci/hangar/shared/envconf"
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
