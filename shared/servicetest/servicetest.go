// Package servicetest is scaffolding for tests of Hangar services: a log
// capture safe across goroutines, a config repository in a temporary
// directory, and a service served alone on loopback HTTP as `hangar <name>`
// serves it. It is meant for _test.go files only; production code never
// imports it.
package servicetest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hangar-ci/hangar/shared/server"
	"github.com/hangar-ci/hangar/shared/tree"
)

// Logs collects log output. Services log from handler and background
// goroutines while the test reads, so every access takes a lock.
type Logs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (l *Logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// String returns everything written so far.
func (l *Logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// Lines returns the complete lines written so far, without their newlines.
func (l *Logs) Lines() []string {
	s := strings.TrimSuffix(l.String(), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// Logger returns a JSON logger at debug level writing to w, so a test sees
// every line the service writes; nil w discards.
func Logger(w io.Writer) *slog.Logger {
	if w == nil {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// Env is the environment the binary gives a service: a fresh metrics
// registry, Logger(w) and repo as the config repository (nil allowed).
func Env(repo tree.Tree, w io.Writer) server.Env {
	env := server.NewEnv(Logger(w))
	env.Repo = repo
	return env
}

// WriteFiles writes files (slash-separated path → content) under root,
// creating directories as needed.
func WriteFiles(t testing.TB, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// Tree writes files under a new t.TempDir() and returns a tree.Dir over it
// (its own log discarded) and its root, where a test can change files and
// call Reload.
func Tree(t testing.TB, files map[string]string) (*tree.Dir, string) {
	t.Helper()
	root := t.TempDir()
	WriteFiles(t, root, files)
	d, err := tree.NewDir(root, Logger(nil))
	if err != nil {
		t.Fatal(err)
	}
	return d, root
}

// Start serves svc alone (at / and /<name>, with health, readiness and
// metrics endpoints) on a loopback port and runs its Run, if any, in the
// background. When the test ends Run is cancelled and awaited, then the
// server closes; Run returning an error other than cancellation fails the
// test, as it would stop `hangar <name>`. Start returns the base URL.
func Start(t testing.TB, svc *server.Service, env server.Env) string {
	t.Helper()
	ts := httptest.NewServer(server.Handler(env, true, svc))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	if svc.Run != nil {
		go func() { done <- svc.Run(ctx) }()
	} else {
		done <- nil
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("%s: Run: got %v, want nil", svc.Name, err)
		}
		ts.Close()
	})
	return ts.URL
}
