package convert

import (
	"errors"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"

	"go.starlark.net/starlark"
)

// DefaultMemoryLimit is the process memory above which running Starlark
// conversions are stopped.
const DefaultMemoryLimit = 1 << 30

// stepReserve is the memory one running conversion may allocate between
// the watch's reading and its stop: a guarded operation makes at most 4×
// the output limit, and its operand may be a fresh copy of that size.
func stepReserve(l Limits) int64 { return 8 * int64(l.Size) }

// memWatch holds the process's memory under a limit while Starlark
// conversions run. Starlark has no allocation budget of its own and a heap
// cannot be attributed to a goroutine, so the budget is the process's: each
// conversion that may run at once reserves room for the step it is in
// (stepReserve), the rest is the threshold. While conversions run, the
// runtime's soft memory limit is lowered to the threshold (unless
// GOMEMLIMIT is lower), so the collector keeps garbage under it; memory
// over it is then live, and every conversion running at that moment is
// stopped. In practice there is one culprit, and the others are retried by
// Drone's next call. The reserves take at most half the limit: with a
// huge output limit and many concurrent conversions the margin is thinner
// than the worst case. A nil watch does nothing.
type memWatch struct {
	limit     uint64 // HANGAR_CONVERT_MEMORY_LIMIT
	threshold uint64 // limit less the reserves of concurrent conversions
	mu        sync.Mutex
	active    map[*starlark.Thread]*atomic.Bool
	running   bool
}

func newMemWatch(limit, reserve int64) *memWatch {
	if limit <= 0 {
		return nil
	}
	return &memWatch{limit: uint64(limit), threshold: uint64(max(limit-reserve, limit/2)), active: map[*starlark.Thread]*atomic.Bool{}}
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

// watchEvery is how often memory is read while conversions run: Starlark
// threads allocate gigabytes a second when they try, and a metrics read
// costs about a microsecond. The reading is what the runtime holds from
// the OS (all its memory less what it released), the same measure its
// soft limit applies to and, but for the binary, the process's RSS.
const watchEvery = time.Millisecond

// loop polls memory while conversions run. A forced collection instead
// of the soft limit would take hundreds of milliseconds against threads
// allocating flat out, long enough for memory to pass the limit several
// times over.
func (m *memWatch) loop() {
	prev := debug.SetMemoryLimit(-1)
	if uint64(prev) > m.threshold {
		debug.SetMemoryLimit(int64(m.threshold))
	}
	defer debug.SetMemoryLimit(prev)
	tick := time.NewTicker(watchEvery)
	defer tick.Stop()
	for range tick.C {
		m.mu.Lock()
		if len(m.active) == 0 {
			m.running = false
			m.mu.Unlock()
			return
		}
		if processMemory() > m.threshold {
			for t, hit := range m.active {
				hit.Store(true)
				t.Cancel("memory limit")
			}
		}
		m.mu.Unlock()
	}
}

// memLocal is the thread-local key of a conversion's memCheck.
const memLocal = "hangar.memcheck"

// memCheck lets the builtins that make large values check the process's
// memory themselves, right after the allocation: the watch goroutine
// may wait for a CPU behind the very threads it watches, while a thread
// building 4 MB strings on every step passes any limit within tens of
// milliseconds.
type memCheck struct {
	w   *memWatch
	hit *atomic.Bool
}

// largeValue is the size from which a result is worth a memory reading
// (about a microsecond, against at least as long to copy the bytes).
const largeValue = 64 << 10

// checkMemory stops the thread's conversion when v is large and the
// process's memory is over the watch's threshold.
func checkMemory(t *starlark.Thread, v starlark.Value) error {
	mc, ok := t.Local(memLocal).(*memCheck)
	if !ok {
		return nil
	}
	switch v := v.(type) {
	case starlark.String:
		if len(v) < largeValue {
			return nil
		}
	case starlark.Bytes:
		if len(v) < largeValue {
			return nil
		}
	case starlark.Sequence:
		if v.Len() < largeValue/16 {
			return nil
		}
	default:
		return nil
	}
	if processMemory() <= mc.w.threshold {
		return nil
	}
	mc.hit.Store(true)
	t.Cancel("memory limit")
	return errMemory
}

// errMemory is returned by a builtin that found the memory over the limit.
var errMemory = errors.New("memory limit")

// processMemory is what the runtime holds from the OS: all its memory
// less what it released.
func processMemory() uint64 {
	s := [2]metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(s[:])
	return s[0].Value.Uint64() - s[1].Value.Uint64()
}
