package registry

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drone/drone-go/drone"
	droneregistry "github.com/drone/drone-go/plugin/registry"
	dronesecret "github.com/drone/drone-go/plugin/secret"

	"github.com/hangar-ci/hangar/shared/server"
	"github.com/hangar-ci/hangar/shared/tree"
)

const testSecret = "hangar-registry-test-0123456789a"

// allLogs collects every test service's log output; TestMain searches it
// for every password registered with value().
var (
	allLogs  syncBuffer
	valuesMu sync.Mutex
	values   []string
	// started counts harnesses, so a run without any (-run '^$') does
	// not demand log lines.
	started atomic.Int32
)

func value(v string) string {
	valuesMu.Lock()
	defer valuesMu.Unlock()
	values = append(values, v)
	return v
}

func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		logs := allLogs.String()
		if started.Load() > 0 && !strings.Contains(logs, `"msg":`) {
			fmt.Fprintln(os.Stderr, "log capture: got no log lines, want the output of every test")
			code = 1
		}
		valuesMu.Lock()
		for _, v := range values {
			if strings.Contains(logs, v) {
				fmt.Fprintf(os.Stderr, "log capture: a password (%d bytes, registered by a test) appears in the logs\n", len(v))
				code = 1
			}
		}
		valuesMu.Unlock()
	}
	os.Exit(code)
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

type harness struct {
	URL      string
	Registry droneregistry.Plugin
	Secret   dronesecret.Plugin
	repo     *tree.Dir
	dir      string
}

func start(t testing.TB, opts Options, files map[string]string) *harness {
	t.Helper()
	started.Add(1)
	h := &harness{dir: t.TempDir()}
	for name, content := range files {
		h.write(t, name, content)
	}
	logger := slog.New(slog.NewJSONHandler(&allLogs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	repo, err := tree.NewDir(h.dir, logger)
	if err != nil {
		t.Fatal(err)
	}
	h.repo = repo
	if opts.Signature.Secret == "" {
		opts.Signature.Secret = testSecret
	}
	env := server.NewEnv(logger)
	env.Repo = repo
	svc, err := New(opts, env)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(server.Handler(env, true, svc))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if svc.Run != nil {
			if err := svc.Run(ctx); err != nil {
				t.Errorf("Run: got %v, want nil", err)
			}
		}
	}()
	t.Cleanup(func() { cancel(); <-done; ts.Close() })
	h.URL = ts.URL
	h.Registry = droneregistry.Client(ts.URL, opts.Signature.Secret, false)
	h.Secret = dronesecret.Client(ts.URL, opts.Signature.Secret, false)
	return h
}

func (h *harness) write(t testing.TB, name, content string) {
	t.Helper()
	p := filepath.Join(h.dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if h.repo != nil {
		if err := h.repo.Reload(); err != nil {
			t.Fatal(err)
		}
	}
}

type build struct{ repo, event, target, source, fork string }

func (b build) objects() (drone.Repo, drone.Build) {
	ns, n, _ := strings.Cut(b.repo, "/")
	fork := b.fork
	if fork == "" {
		fork = b.repo
	}
	return drone.Repo{Namespace: ns, Name: n, Slug: b.repo},
		drone.Build{Event: b.event, Target: b.target, Source: b.source, Fork: fork}
}

// list asks for b's registries and returns their addresses.
func (h *harness) list(t *testing.T, b build) ([]*drone.Registry, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	repo, bd := b.objects()
	return h.Registry.List(ctx, &droneregistry.Request{Repo: repo, Build: bd})
}

func status(err error) int {
	if err == nil {
		return http.StatusOK
	}
	if e, ok := err.(*drone.Error); ok {
		return e.Code
	}
	return -1
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
