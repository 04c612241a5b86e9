package tree

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hangar-ci/hangar/shared/scm"
)

// Remote is a config repository read through the GitHub or GitLab API at a
// fixed ref (usually a branch), with every answer cached — found and not
// found alike, since most lookups miss the more specific files. A push
// webhook calls Invalidate; the TTL bounds staleness when a hook is missed.
// When the API fails, an expired entry is served rather than failing the
// build; an invalidated one never is.
type Remote struct {
	client scm.Client
	slug   string
	ref    string
	ttl    time.Duration
	logger *slog.Logger
	now    func() time.Time

	start    time.Time // epochs of ttl since start advance Generation
	mu       sync.Mutex
	entries  map[string]*entry
	inflight map[string]*call
	gen      atomic.Uint64
	lastErr  atomic.Pointer[error]
}

type entry struct {
	data    []byte
	missing bool
	fetched time.Time
}

type call struct {
	done chan struct{}
	e    *entry
	err  error
}

// NewRemote returns a Remote over client for the repository slug at ref.
func NewRemote(client scm.Client, slug, ref string, ttl time.Duration, logger *slog.Logger) *Remote {
	r := &Remote{client: client, slug: slug, ref: ref, ttl: ttl, logger: logger, now: time.Now,
		entries: map[string]*entry{}, inflight: map[string]*call{}}
	r.start = r.now()
	r.gen.Store(1)
	return r
}

// ReadFile returns the file from the cache, fetching it when absent or
// expired. Concurrent misses for one path share a single API call.
func (r *Remote) ReadFile(ctx context.Context, name string) ([]byte, error) {
	if err := ValidPath(name); err != nil {
		return nil, err
	}
	r.mu.Lock()
	e, cached := r.entries[name]
	if cached && r.now().Sub(e.fetched) < r.ttl {
		r.mu.Unlock()
		return e.result(name)
	}
	c, busy := r.inflight[name]
	if !busy {
		c = &call{done: make(chan struct{})}
		r.inflight[name] = c
		gen := r.gen.Load()
		r.mu.Unlock()
		c.e, c.err = r.fetch(ctx, name)
		r.mu.Lock()
		delete(r.inflight, name)
		// A push may have invalidated the cache while fetching: the answer
		// might predate it, so it is returned but not kept.
		if c.err == nil && r.gen.Load() == gen {
			r.entries[name] = c.e
		}
		r.mu.Unlock()
		close(c.done)
	} else {
		r.mu.Unlock()
		select {
		case <-c.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if c.err != nil {
		if cached {
			r.logger.Warn("config repository API failed; serving the expired copy",
				slog.String("path", name), slog.String("error", c.err.Error()))
			return e.result(name)
		}
		return nil, c.err
	}
	return c.e.result(name)
}

func (r *Remote) fetch(ctx context.Context, name string) (*entry, error) {
	b, err := r.client.ReadFile(ctx, r.slug, r.ref, name)
	switch {
	case err == nil:
		r.lastErr.Store(nil)
		return &entry{data: b, fetched: r.now()}, nil
	case errors.Is(err, scm.ErrNotFound):
		r.lastErr.Store(nil)
		return &entry{missing: true, fetched: r.now()}, nil
	}
	r.lastErr.Store(&err)
	return nil, err
}

func (e *entry) result(name string) ([]byte, error) {
	if e.missing {
		return nil, fmt.Errorf("%s: %w", name, ErrNotExist)
	}
	return e.data, nil
}

// Invalidate drops every cached answer; a push to the config repository
// calls it through the config service's webhook.
func (r *Remote) Invalidate() {
	r.mu.Lock()
	r.entries = map[string]*entry{}
	r.gen.Add(1)
	r.mu.Unlock()
}

// Generation increases on every Invalidate and once per TTL, so callers
// that cache what they derived from the tree (parsed files, conversions)
// look again when its content may have moved: at once after a push hook,
// and within the TTL when a hook was missed.
func (r *Remote) Generation() uint64 {
	return r.gen.Load() + uint64(r.now().Sub(r.start)/r.ttl)
}

// Ready reports the error of the latest API call, if it failed.
func (r *Remote) Ready(context.Context) error {
	if p := r.lastErr.Load(); p != nil {
		return fmt.Errorf("config repository %s@%s: %w", r.slug, r.ref, *p)
	}
	return nil
}
