package convert

import (
	"context"
	"encoding/json"
	"fmt"
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
	const name = "TestMemoryLimitHoldsUnderBurst"
	if servicetest.InChild(name) {
		convertBurstChild(t)
		return
	}
	// Not parallel: the child takes both CPUs for a moment, which would
	// starve the timing tests of the package running beside it.
	var res convertBurst
	if err := json.Unmarshal(servicetest.RunChild(t, name), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) != 8 {
		t.Fatalf("child reported %+v, want 8 results", res)
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
	heap := servicetest.SampleHeap()
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
	res.PeakHeap = heap.Stop()
	res.PeakRSS = servicetest.PeakRSS(t)
	b, _ := json.Marshal(res)
	servicetest.PrintResult(b)
}
