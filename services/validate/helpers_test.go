package validate

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/drone/drone-go/drone"
	"github.com/drone/drone-go/plugin/validator"

	"github.com/hangar-ci/hangar/shared/httpsig"
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

// fixture is a running validate service over a config repository in a
// temporary directory.
type fixture struct {
	url  string
	dir  string
	tree *tree.Dir
	logs *logBuffer
}

// start runs the service through the real server stack on 127.0.0.1:0
// with policy (nothing written when empty) as _hangar/policy.yaml.
func start(t testing.TB, policy string) *fixture {
	t.Helper()
	f := &fixture{dir: t.TempDir(), logs: &logBuffer{}}
	if policy != "" {
		f.writePolicy(t, policy)
	} else if err := os.WriteFile(filepath.Join(f.dir, "default.yaml"), []byte("kind: pipeline\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewJSONHandler(f.logs, nil))
	d, err := tree.NewDir(f.dir, logger)
	if err != nil {
		t.Fatal(err)
	}
	f.tree = d
	env := server.NewEnv(logger)
	env.Repo = d
	svc, err := New(Options{Signature: httpsig.Settings{Secret: testSecret}, Lint: true, CacheEntries: 16, CacheBytes: 4 << 20}, env)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(server.Handler(env, true, svc))
	t.Cleanup(ts.Close)
	f.url = ts.URL
	return f
}

func (f *fixture) writePolicy(t testing.TB, policy string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(f.dir, "_hangar"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(f.dir, "_hangar", "policy.yaml"), []byte(policy), 0o644); err != nil {
		t.Fatal(err)
	}
	if f.tree != nil {
		if err := f.tree.Reload(); err != nil {
			t.Fatal(err)
		}
	}
}

// validate sends yaml for a build of repo through drone-go's own client.
func (f *fixture) validate(t *testing.T, yaml string, build drone.Build, repo drone.Repo) error {
	t.Helper()
	c := validator.Client(f.url, testSecret, false)
	return c.Validate(context.Background(), &validator.Request{Build: build, Repo: repo, Config: drone.Config{Data: yaml}})
}

func pushBuild() drone.Build {
	return drone.Build{Event: "push", Ref: "refs/heads/main", Target: "main", Source: "main", After: "abc123", Trigger: "@hook", Status: "pending"}
}

func repoOf(slug string, trusted bool) drone.Repo {
	ns, name, _ := cut(slug)
	return drone.Repo{Namespace: ns, Name: name, Slug: slug, Trusted: trusted, Config: ".drone.yml", Active: true}
}

func cut(slug string) (string, string, bool) {
	for i := len(slug) - 1; i >= 0; i-- {
		if slug[i] == '/' {
			return slug[:i], slug[i+1:], true
		}
	}
	return "", slug, false
}
