package convert

import (
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"

	"go.starlark.net/starlark"
)

// DefaultMemoryLimit is the live heap above which running Starlark
// conversions are stopped.
const DefaultMemoryLimit = 1 << 30

// memWatch stops a service's running Starlark conversions when the
// process's live heap passes a limit. Starlark has no allocation budget of
// its own and a heap cannot be attributed to a goroutine, so every
// conversion running at that moment is stopped; in practice there is one
// culprit, and the others are retried by Drone's next call. A nil watch
// does nothing.
type memWatch struct {
	limit   uint64
	mu      sync.Mutex
	active  map[*starlark.Thread]*atomic.Bool
	running bool
}

func newMemWatch(limit int64) *memWatch {
	if limit <= 0 {
		return nil
	}
	return &memWatch{limit: uint64(limit), active: map[*starlark.Thread]*atomic.Bool{}}
}

// track watches t until the returned func is called; hit is set when t
// was stopped for memory.
func (m *memWatch) track(t *starlark.Thread, hit *atomic.Bool) func() {
	if m == nil {
		return func() {}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.active[t] = hit
	if !m.running {
		m.running = true
		go m.loop()
	}
	return func() {
		m.mu.Lock()
		delete(m.active, t)
		m.mu.Unlock()
	}
}

// loop polls the heap while conversions run.
func (m *memWatch) loop() {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var lastGC time.Time
	for range tick.C {
		m.mu.Lock()
		if len(m.active) == 0 {
			m.running = false
			m.mu.Unlock()
			return
		}
		m.mu.Unlock()
		metrics.Read(s)
		if s[0].Value.Uint64() <= m.limit || time.Since(lastGC) < 100*time.Millisecond {
			continue
		}
		// Garbage counts until collected: only live memory over the
		// limit stops conversions.
		runtime.GC()
		lastGC = time.Now()
		metrics.Read(s)
		if s[0].Value.Uint64() <= m.limit {
			continue
		}
		m.mu.Lock()
		for t, hit := range m.active {
			hit.Store(true)
			t.Cancel("memory limit")
		}
		m.mu.Unlock()
	}
}
