package tree

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/hangar-ci/hangar/shared/scm"
	"github.com/hangar-ci/hangar/shared/scm/scmtest"
)

func remotes(t *testing.T) map[string]struct {
	api    *scmtest.Server
	client scm.Client
} {
	gh := scmtest.NewGitHub(t)
	ghc, err := scm.NewGitHub(gh.URL+"/api/v3/", "token", gh.Client())
	if err != nil {
		t.Fatal(err)
	}
	gl := scmtest.NewGitLab(t)
	glc, err := scm.NewGitLab(gl.URL+"/api/v4", "token", gl.Client())
	if err != nil {
		t.Fatal(err)
	}
	return map[string]struct {
		api    *scmtest.Server
		client scm.Client
	}{"github": {gh, ghc}, "gitlab": {gl, glc}}
}

func TestRemote(t *testing.T) {
	t.Parallel()
	for name, rc := range remotes(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			api := rc.api
			api.Set("platform/pipelines", "main", "octo/hello/release/1.2.yaml", []byte("v1"))
			now := time.Unix(1000, 0)
			var mu sync.Mutex
			r := NewRemote(rc.client, "platform/pipelines", "main", time.Minute, slog.New(slog.DiscardHandler))
			r.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
			r.start = now
			advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }

			got, err := r.ReadFile(ctx, "octo/hello/release/1.2.yaml")
			if err != nil || string(got) != "v1" {
				t.Fatalf("ReadFile = %q, %v; want v1", got, err)
			}
			if _, err := r.ReadFile(ctx, "octo/default.yaml"); !errors.Is(err, ErrNotExist) {
				t.Fatalf("missing file: %v, want ErrNotExist", err)
			}
			hits := api.Hits()
			for range 5 { // cached, found and missing alike
				r.ReadFile(ctx, "octo/hello/release/1.2.yaml")
				r.ReadFile(ctx, "octo/default.yaml")
			}
			if api.Hits() != hits {
				t.Errorf("API calls for cached reads = %d, want 0", api.Hits()-hits)
			}

			api.Set("platform/pipelines", "main", "octo/hello/release/1.2.yaml", []byte("v2"))
			if got, _ := r.ReadFile(ctx, "octo/hello/release/1.2.yaml"); string(got) != "v1" {
				t.Errorf("before invalidation = %q, want the cached v1", got)
			}
			gen := r.Generation()
			r.Invalidate()
			if got, _ := r.ReadFile(ctx, "octo/hello/release/1.2.yaml"); string(got) != "v2" {
				t.Errorf("after invalidation = %q, want v2", got)
			}
			if r.Generation() <= gen {
				t.Errorf("Generation did not move on Invalidate")
			}

			// Past the TTL the generation moves even without a hook, so
			// caches derived from the tree look again.
			gen = r.Generation()
			advance(2 * time.Minute)
			if r.Generation() <= gen {
				t.Errorf("Generation = %d after two TTLs without a hook, want > %d", r.Generation(), gen)
			}

			// An outage serves the expired copy, and reports on readiness.
			api.Fail(502)
			if got, err := r.ReadFile(ctx, "octo/hello/release/1.2.yaml"); err != nil || string(got) != "v2" {
				t.Errorf("during outage = %q, %v; want the expired v2", got, err)
			}
			if r.Ready(ctx) == nil {
				t.Error("Ready = nil during an outage, want the API error")
			}
			// After an invalidation nothing stale is served: the error shows.
			r.Invalidate()
			if _, err := r.ReadFile(ctx, "octo/hello/release/1.2.yaml"); err == nil || errors.Is(err, ErrNotExist) {
				t.Errorf("after invalidation during outage: %v, want the API error", err)
			}
			api.Fail(0)
			if got, err := r.ReadFile(ctx, "octo/hello/release/1.2.yaml"); err != nil || string(got) != "v2" {
				t.Errorf("after recovery = %q, %v; want v2", got, err)
			}
			if err := r.Ready(ctx); err != nil {
				t.Errorf("Ready after recovery = %v", err)
			}
		})
	}
}

func TestRemoteSharesConcurrentMisses(t *testing.T) {
	t.Parallel()
	api := scmtest.NewGitHub(t)
	c, _ := scm.NewGitHub(api.URL+"/api/v3/", "", api.Client())
	api.Set("p/c", "main", "default.yaml", []byte("x"))
	r := NewRemote(c, "p/c", "main", time.Minute, slog.New(slog.DiscardHandler))
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if got, err := r.ReadFile(context.Background(), "default.yaml"); err != nil || string(got) != "x" {
				t.Errorf("ReadFile = %q, %v", got, err)
			}
		})
	}
	wg.Wait()
	if h := api.Hits(); h != 1 {
		t.Errorf("50 concurrent cold reads made %d API calls, want 1 shared call", h)
	}
}

func TestRemoteRefusesInvalidPath(t *testing.T) {
	t.Parallel()
	api := scmtest.NewGitHub(t)
	c, _ := scm.NewGitHub(api.URL+"/api/v3/", "", api.Client())
	r := NewRemote(c, "p/c", "main", time.Minute, slog.New(slog.DiscardHandler))
	if _, err := r.ReadFile(context.Background(), "../secrets"); !errors.Is(err, ErrInvalidPath) {
		t.Errorf("ReadFile(../secrets) = %v, want ErrInvalidPath", err)
	}
	if api.Hits() != 0 {
		t.Errorf("an invalid path reached the API")
	}
}
