package config

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/hangar-ci/hangar/shared/envconf"
	"github.com/hangar-ci/hangar/shared/server"
	"github.com/hangar-ci/hangar/shared/servicetest"
	"github.com/hangar-ci/hangar/shared/tree"
)

const testSecret = "correct-horse-battery-staple-0123"

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

// startService runs the config service alone over repo on a loopback port,
// as `hangar config` does, and returns its URL and log.
func startService(t testing.TB, repo tree.Tree, env map[string]string) (string, *servicetest.Logs) {
	t.Helper()
	logs := &servicetest.Logs{}
	return startServiceLogging(t, repo, env, logs), logs
}

// startServiceLogging is startService with the log going to w.
func startServiceLogging(t testing.TB, repo tree.Tree, env map[string]string, w io.Writer) string {
	t.Helper()
	return startWith(t, repo, env, w, func(*Options) {})
}

// startWith is startServiceLogging with the options edited before start.
func startWith(t testing.TB, repo tree.Tree, env map[string]string, w io.Writer, edit func(*Options)) string {
	t.Helper()
	vars := map[string]string{"DRONE_SECRET": testSecret}
	for k, v := range env {
		vars[k] = v
	}
	opts, err := OptionsFromEnv(envconf.Map(vars))
	if err != nil {
		t.Fatal(err)
	}
	edit(&opts)
	senv := servicetest.Env(repo, w)
	svc, err := New(opts, senv)
	if err != nil {
		t.Fatal(err)
	}
	return servicetest.Start(t, svc, senv)
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func errorsAs(err error, target any) bool { return err != nil && errors.As(err, target) }

// startServiceWithHandle is startService that also returns the service's
// internals, for tests of its metrics.
func startServiceWithHandle(t testing.TB, repo tree.Tree) (*service, string) {
	t.Helper()
	opts, err := OptionsFromEnv(envconf.Map(map[string]string{"DRONE_SECRET": testSecret}))
	if err != nil {
		t.Fatal(err)
	}
	senv := servicetest.Env(repo, nil)
	s, h, err := newService(opts, senv)
	if err != nil {
		t.Fatal(err)
	}
	return s, servicetest.Start(t, &server.Service{Name: Name, Handler: h}, senv)
}
