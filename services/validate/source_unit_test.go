package validate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/hangar-ci/hangar/shared/servicetest"
	"github.com/hangar-ci/hangar/shared/tree"
)

// fakeTree is a config repository read through an API (no Generation):
// readFile answers, and unset it says the call was not expected.
type fakeTree struct {
	mu       sync.Mutex
	readFile func(name string) ([]byte, error)
}

func (f *fakeTree) ReadFile(_ context.Context, name string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.readFile == nil {
		return nil, fmt.Errorf("fakeTree: ReadFile(%q) not expected", name)
	}
	return f.readFile(name)
}

func (f *fakeTree) set(fn func(string) ([]byte, error)) {
	f.mu.Lock()
	f.readFile = fn
	f.mu.Unlock()
}

func TestPolicySourceWithoutGeneration(t *testing.T) {
	t.Parallel()
	logs := &servicetest.Logs{}
	ft := &fakeTree{}
	s := newPolicySource(ft, DefaultPolicyPath, servicetest.Logger(logs))
	ctx := context.Background()
	good := []byte("rules:\n- id: a\n  kind: privileged\n")

	ft.set(func(string) ([]byte, error) { return good, nil })
	for range 3 {
		if p, err := s.get(ctx); err != nil || len(p.Rules) != 1 {
			t.Fatalf("get = %v, %v; want the one-rule policy", p, err)
		}
	}
	if n := strings.Count(logs.String(), "policy loaded"); n != 1 {
		t.Errorf("policy parsed %d times for one unchanged file, want 1", n)
	}

	// The backend fails: the last good policy stays, readiness says why.
	ft.set(func(string) ([]byte, error) { return nil, errors.New("github: 502 bad gateway") })
	if p, err := s.get(ctx); err != nil || len(p.Rules) != 1 {
		t.Errorf("get during an outage = %v, %v; want the last good policy", p, err)
	}
	if err := s.ready(ctx); err == nil || !strings.Contains(err.Error(), "502 bad gateway") {
		t.Errorf("ready = %v, want the backend's error", err)
	}

	// The file is deleted: no policy, lint only, ready again.
	ft.set(func(string) ([]byte, error) { return nil, tree.ErrNotExist })
	if p, err := s.get(ctx); err != nil || len(p.Rules) != 0 {
		t.Errorf("get without a file = %v, %v; want an empty policy", p, err)
	}
	if err := s.ready(ctx); err != nil {
		t.Errorf("ready = %v, want nil", err)
	}
}

func TestPolicySourceBackendDownFromStart(t *testing.T) {
	t.Parallel()
	ft := &fakeTree{}
	ft.set(func(string) ([]byte, error) { return nil, errors.New("connection refused") })
	s := newPolicySource(ft, DefaultPolicyPath, slog.New(slog.DiscardHandler))
	if _, err := s.get(context.Background()); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("get = %v, want no policy and the reason (fail closed)", err)
	}
}
