package servicetest

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime/metrics"
	"strconv"
	"strings"
	"testing"
	"time"
)

// childEnv marks the child process of RunChild with the test it runs.
const childEnv = "HANGAR_TEST_CHILD"

// InChild reports whether this process is the child RunChild started for
// the test named name.
func InChild(name string) bool { return os.Getenv(childEnv) == name }

// RunChild runs the test named name again, alone, in a child process (so
// that its memory can be measured apart from the other tests) and returns
// what the child printed with PrintResult.
func RunChild(t testing.TB, name string) []byte {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+name+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+name)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child %s: %v\n%s", name, err, out)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if res, ok := bytes.CutPrefix(sc.Bytes(), []byte("RESULT ")); ok {
			return bytes.Clone(res)
		}
	}
	t.Fatalf("child %s printed no result:\n%s", name, out)
	return nil
}

// PrintResult is how a child of RunChild hands its result back.
func PrintResult(b []byte) { fmt.Printf("RESULT %s\n", b) }

// HeapSampler records the highest Go heap (live and not yet swept) seen,
// every millisecond, until Stop.
type HeapSampler struct {
	stop chan struct{}
	peak chan int64
}

// SampleHeap starts a sampler.
func SampleHeap() *HeapSampler {
	h := &HeapSampler{stop: make(chan struct{}), peak: make(chan int64)}
	go func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		var peak uint64
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-h.stop:
				h.peak <- int64(peak)
				return
			case <-tick.C:
				metrics.Read(s)
				peak = max(peak, s[0].Value.Uint64())
			}
		}
	}()
	return h
}

// Stop ends the sampling and returns the peak.
func (h *HeapSampler) Stop() int64 {
	close(h.stop)
	return <-h.peak
}

// PeakRSS returns the process's high-water mark of resident memory.
func PeakRSS(t testing.TB) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/self/status")
	return 0
}
