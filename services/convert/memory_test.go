package convert

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hangar-ci/hangar/shared/servicetest"
)

// burstLimit is the HANGAR_CONVERT_MEMORY_LIMIT of the burst test.
const burstLimit = 256 << 20

// TestMemoryLimitHoldsUnderBurst runs eight hostile scripts at once, each
// keeping 4 MB strings (every one within the per-operation guards) until
// it is stopped, in a child process whose peak memory is then read: the
// memory limit must hold for the process, not only trigger after it has
// been passed several times over.
func TestMemoryLimitHoldsUnderBurst(t *testing.T) {
	if os.Getenv("HANGAR_CONVERT_BURST_CHILD") == "1" {
		convertBurstChild(t)
		return
	}
	// Not parallel: the child takes both CPUs for a moment, which would
	// starve the timing tests of the package running beside it.
	cmd := exec.Command(os.Args[0], "-test.run=^TestMemoryLimitHoldsUnderBurst$", "-test.count=1")
	cmd.Env = append(os.Environ(), "HANGAR_CONVERT_BURST_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var res convertBurst
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		if line, ok := strings.CutPrefix(sc.Text(), "BURST "); ok {
			if err := json.Unmarshal([]byte(line), &res); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(res.Errors) != 8 {
		t.Fatalf("child reported %+v, want 8 results:\n%s", res, out)
	}
	t.Logf("8 concurrent hostile scripts, HANGAR_CONVERT_MEMORY_LIMIT %d MiB: peak RSS %d MiB, peak Go heap %d MiB (race detector %v), all stopped in %v",
		burstLimit>>20, res.PeakRSS>>20, res.PeakHeap>>20, raceDetector, res.Elapsed)
	for i, e := range res.Errors {
		if !strings.Contains(e, "HANGAR_CONVERT_MEMORY_LIMIT") {
			t.Errorf("script %d: got %q, want it stopped for memory", i, e)
		}
	}
	if res.PeakHeap > burstLimit {
		t.Errorf("peak Go heap %d MiB, want at most the limit, %d MiB", res.PeakHeap>>20, burstLimit>>20)
	}
	// The race detector's shadow memory is outside the Go heap but in RSS.
	if !raceDetector && res.PeakRSS > burstLimit {
		t.Errorf("peak RSS %d MiB, want at most the limit, %d MiB", res.PeakRSS>>20, burstLimit>>20)
	}
}

type convertBurst struct {
	PeakRSS, PeakHeap int64
	Errors            []string
	Elapsed           string
}

func convertBurstChild(t *testing.T) {
	config, _ := servicetest.Tree(t, hostileConfig(t))
	opts := testOptions()
	opts.MemoryLimit = burstLimit
	opts.Concurrency = 8
	opts.Limits = Limits{Steps: DefaultStepLimit, Size: DefaultSizeLimit, Timeout: time.Minute, Modules: DefaultMaxModules, ModuleBytes: DefaultModuleBytes}
	s := start(t, opts, config)
	res := convertBurst{Errors: make([]string, 8)}
	stop := make(chan struct{})
	sampled := make(chan int64)
	go func() { sampled <- sampleHeap(stop) }()
	begin := time.Now()
	var wg sync.WaitGroup
	for i := range res.Errors {
		wg.Add(1)
		go func() {
			defer wg.Done()
			script := fmt.Sprintf("def main(ctx):\n    s = \"%d\" * 4000000\n    l = []\n    for i in range(10000):\n        l.append(s + str(i))\n    return {\"n\": len(l)}\n", i)
			_, err := s.convert(context.Background(), request(fmt.Sprintf("hostile%d.star", i), script, "push"))
			res.Errors[i] = fmt.Sprint(err)
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(begin).Round(10 * time.Millisecond).String()
	close(stop)
	res.PeakHeap = <-sampled
	res.PeakRSS = processPeakRSS(t)
	b, _ := json.Marshal(res)
	fmt.Printf("BURST %s\n", b)
}

// sampleHeap samples the Go heap (live and not yet swept) every
// millisecond until stop is closed, and returns the highest value.
func sampleHeap(stop <-chan struct{}) int64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return int64(peak)
		case <-tick.C:
			metrics.Read(s)
			peak = max(peak, s[0].Value.Uint64())
		}
	}
}

// processPeakRSS reads the process's high-water mark of resident memory.
func processPeakRSS(t *testing.T) int64 {
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
