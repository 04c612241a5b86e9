package config

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/hangar-ci/hangar/shared/envconf"
	"github.com/hangar-ci/hangar/shared/server"
	"github.com/hangar-ci/hangar/shared/tree"
)

const testSecret = "correct-horse-battery-staple-0123"

// logBuffer collects log output safely across goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// recordingTree counts reads, so tests can show a rejected request never
// reached the lookup.
type recordingTree struct {
	tree.Tree
	mu    sync.Mutex
	reads []string
}

func (r *recordingTree) ReadFile(ctx context.Context, name string) ([]byte, error) {
	r.mu.Lock()
	r.reads = append(r.reads, name)
	r.mu.Unlock()
	return r.Tree.ReadFile(ctx, name)
}

func (r *recordingTree) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.reads)
}

// writeTree creates files (path → content) under a new temporary directory.
func writeTree(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// startService runs the config service alone over repo on a loopback port,
// as `hangar config` does, and returns its URL and log.
func startService(t testing.TB, repo tree.Tree, env map[string]string) (string, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	return startServiceLogging(t, repo, env, logs), logs
}

// startServiceLogging is startService with the log going to w.
func startServiceLogging(t testing.TB, repo tree.Tree, env map[string]string, w io.Writer) string {
	t.Helper()
	vars := map[string]string{"DRONE_SECRET": testSecret}
	for k, v := range env {
		vars[k] = v
	}
	opts, err := OptionsFromEnv(envconf.Map(vars))
	if err != nil {
		t.Fatal(err)
	}
	senv := server.NewEnv(slog.New(slog.NewJSONHandler(w, nil)))
	senv.Repo = repo
	svc, err := New(opts, senv)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.Handler(senv, true, svc))
	t.Cleanup(srv.Close)
	return srv.URL
}

func newDir(t testing.TB, files map[string]string) (*tree.Dir, string) {
	t.Helper()
	root := writeTree(t, files)
	d, err := tree.NewDir(root, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return d, root
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func errorsAs(err error, target any) bool { return err != nil && errors.As(err, target) }

func newDirAt(t testing.TB, root string) (*tree.Dir, string) {
	t.Helper()
	d, err := tree.NewDir(root, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	return d, root
}

// startServiceWithHandle is startService that also returns the service's
// internals, for tests of its metrics.
func startServiceWithHandle(t testing.TB, repo tree.Tree) (*service, string) {
	t.Helper()
	opts, err := OptionsFromEnv(envconf.Map(map[string]string{"DRONE_SECRET": testSecret}))
	if err != nil {
		t.Fatal(err)
	}
	senv := server.NewEnv(discardLogger())
	senv.Repo = repo
	s, h, err := newService(opts, senv)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.Handler(senv, true, &server.Service{Name: Name, Handler: h}))
	t.Cleanup(srv.Close)
	return s, srv.URL
}
