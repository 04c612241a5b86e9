package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hangar-ci/hangar/shared/envconf"
)

const cliSecret = "cli-test-secret-0123456789abcdef"

// buildBinary compiles the real hangar binary once per test.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "hangar")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitHealthy(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := http.Get(base + "/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s never became healthy", base)
}

// TestConfigProcess runs `hangar config` as a process over the sample
// config repository, asks it through `hangar call`, and stops it with
// SIGTERM: it must exit 0 after a graceful shutdown.
func TestConfigProcess(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	addr := freeAddr(t)
	var logs bytes.Buffer
	cmd := exec.Command(bin, "config")
	cmd.Dir = "../.." // the module root, where config-repo/ is
	cmd.Env = append(os.Environ(), "DRONE_BIND="+addr, "DRONE_SECRET="+cliSecret)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	base := "http://" + addr
	waitHealthy(t, base)

	var out, errOut bytes.Buffer
	lookup := envconf.Map(map[string]string{"DRONE_SECRET": cliSecret})
	err := run(context.Background(), []string{"call", "-repo", "octo/hello", "-branch", "release/1.2", base}, lookup, &out, &errOut)
	if err != nil {
		t.Fatalf("hangar call: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "200 OK") || !strings.Contains(out.String(), "name: release-1.2") {
		t.Errorf("hangar call printed:\n%s\nwant 200 and the release/1.2 pipeline", out.String())
	}
	// The same call with the wrong secret is refused and reported.
	out.Reset()
	err = run(context.Background(), []string{"call", "-secret", "wrong-secret-wrong-secret-wrong!", base + "/config"}, lookup, &out, &errOut)
	if err == nil || !strings.Contains(out.String(), "401") {
		t.Errorf("call with a wrong secret: err %v, output %q; want a 401", err, out.String())
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("after SIGTERM the process exited with %v, want 0\n%s", err, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no exit within 30s of SIGTERM")
	}
	if !strings.Contains(logs.String(), `"msg":"shutting down"`) {
		t.Errorf("no shutdown line in the log:\n%s", logs.String())
	}
}

func TestRefusesToStartWithoutSecret(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	lookup := envconf.Map(map[string]string{"DRONE_BIND": "127.0.0.1:0", "HANGAR_REPO_DIR": "../../config-repo"})
	err := run(context.Background(), []string{"config"}, lookup, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "DRONE_SECRET") {
		t.Errorf("run(config) without a secret = %v, want a refusal naming DRONE_SECRET", err)
	}
}

func TestUnknownCommand(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"frobnicate"}, envconf.Map(nil), &out, &out); err == nil {
		t.Error("run(frobnicate) = nil, want an error")
	}
}
