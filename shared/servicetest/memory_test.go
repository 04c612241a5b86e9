package servicetest

import (
	"runtime"
	"testing"
	"time"
)

// TestMemoryReadings sees a 64 MiB allocation in both readings.
func TestMemoryReadings(t *testing.T) {
	h := SampleHeap()
	b := make([]byte, 64<<20)
	for i := range b {
		b[i] = 1
	}
	time.Sleep(20 * time.Millisecond)
	peak := h.Stop()
	runtime.KeepAlive(b)
	if peak < 64<<20 {
		t.Errorf("heap peak %d MiB, want at least 64", peak>>20)
	}
	if rss := PeakRSS(t); rss < 64<<20 {
		t.Errorf("peak RSS %d MiB, want at least 64", rss>>20)
	}
}
