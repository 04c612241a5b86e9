package validate

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hangar-ci/hangar/shared/httpsig"
	"github.com/hangar-ci/hangar/shared/servicetest"
)

// burstBudget is the parse memory the burst test configures.
const burstBudget = 128 << 20

// TestValidateBurstMemory sends eight distinct 990 KB flow sequences of
// 495,000 items (under the node limit) at once, in a child process whose
// peak RSS is then read: the parses must queue within the configured
// parse memory instead of growing the heap eightfold. Every request gets
// an answer (a decision, or 503 with Retry-After).
func TestValidateBurstMemory(t *testing.T) {
	const name = "TestValidateBurstMemory"
	if servicetest.InChild(name) {
		burstChild(t)
		return
	}
	// Not parallel: the child takes both CPUs for a moment, which would
	// starve the timing tests of the package running beside it.
	var res burstResult
	if err := json.Unmarshal(servicetest.RunChild(t, name), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Codes) != 8 {
		t.Fatalf("child answered %+v, want 8 results", res)
	}
	t.Logf("8 concurrent 990 KB documents: peak RSS %d MiB, peak Go heap %d MiB (parse memory %d MiB, race detector %v); answers %v in %v",
		res.PeakRSS>>20, res.PeakHeap>>20, burstBudget>>20, raceDetector, res.Codes, res.Durations)
	for i, c := range res.Codes {
		if c != http.StatusBadRequest && c != http.StatusNoContent && !(c == http.StatusServiceUnavailable && res.RetryAfter[i] != "") {
			t.Errorf("request %d: got %d (Retry-After %q), want a decision or 503 with Retry-After", i, c, res.RetryAfter[i])
		}
	}
	// The budget plus what the process holds anyway: runtime, test
	// binary, the eight request bodies, and garbage the collector has not
	// reclaimed yet (GOGC lets the heap reach twice the live data). The
	// race detector's shadow memory is outside the Go heap but inside
	// RSS, so a -race run checks the heap alone.
	limit := int64(burstBudget + 128<<20)
	if res.PeakHeap > limit {
		t.Errorf("peak Go heap %d MiB, want at most %d MiB (parse memory %d MiB + 128 MiB)", res.PeakHeap>>20, limit>>20, burstBudget>>20)
	}
	if !raceDetector && res.PeakRSS > limit {
		t.Errorf("peak RSS %d MiB, want at most %d MiB (parse memory %d MiB + 128 MiB)", res.PeakRSS>>20, limit>>20, burstBudget>>20)
	}
}

type burstResult struct {
	PeakRSS    int64
	PeakHeap   int64
	Codes      []int
	RetryAfter []string
	Durations  []string
}

func burstChild(t *testing.T) {
	f := startWith(t, e2ePolicy, func(o *Options) { o.ParseMemory = burstBudget })
	bodies := make([][]byte, 8)
	for i := range bodies {
		doc := fmt.Sprintf("# copy %d\nkind: pipeline\nx: [", i) + strings.TrimSuffix(strings.Repeat("1,", 495_000), ",") + "]\n"
		bodies[i] = burstBody(doc)
	}
	res := burstResult{Codes: make([]int, 8), RetryAfter: make([]string, 8), Durations: make([]string, 8)}
	heap := servicetest.SampleHeap()
	var wg sync.WaitGroup
	for i := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			res.Codes[i], res.RetryAfter[i] = postBurst(t, f, bodies[i])
			res.Durations[i] = time.Since(start).Round(10 * time.Millisecond).String()
		}()
	}
	wg.Wait()
	res.PeakHeap = heap.Stop()
	res.PeakRSS = servicetest.PeakRSS(t)
	b, _ := json.Marshal(res)
	servicetest.PrintResult(b)
}

func postBurst(t *testing.T, f *fixture, body []byte) (int, string) {
	req, _ := http.NewRequest(http.MethodPost, f.url+"/", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/vnd.drone.validate.v1+json")
	req.Header.Set("Accept-Encoding", "identity")
	if err := httpsig.Sign(req, body, testSecret, httpsig.ExtensionHeaders, time.Now()); err != nil {
		t.Error(err)
		return 0, ""
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0, ""
	}
	res.Body.Close()
	return res.StatusCode, res.Header.Get("Retry-After")
}

// TestValidateBusyAnswers503 gives a burst almost no time to wait for
// parse memory: what cannot wait is answered 503 with Retry-After and the
// reason, and nothing is left unanswered.
func TestValidateBusyAnswers503(t *testing.T) {
	t.Parallel()
	f := startWith(t, e2ePolicy, func(o *Options) { o.ParseMemory, o.ParseWait = burstBudget, 50*time.Millisecond })
	var wg sync.WaitGroup
	codes := make([]int, 6)
	after := make([]string, 6)
	for i := range codes {
		doc := fmt.Sprintf("# copy %d\nkind: pipeline\nx: [", i) + strings.TrimSuffix(strings.Repeat("1,", 495_000), ",") + "]\n"
		body := burstBody(doc)
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], after[i] = postBurst(t, f, body)
		}()
	}
	wg.Wait()
	busy := 0
	for i, c := range codes {
		switch {
		case c == http.StatusServiceUnavailable && after[i] != "":
			busy++
		case c != http.StatusNoContent:
			t.Errorf("request %d: got %d (Retry-After %q), want 204 or 503 with Retry-After", i, c, after[i])
		}
	}
	if busy == 0 {
		t.Errorf("got %v, want some requests answered 503 (each parse takes longer than the 50 ms wait)", codes)
	}
}

// TestValidateTextOverParseMemory refuses, with 413 and the reason, a file
// whose parse alone would need more than the whole parse memory.
func TestValidateTextOverParseMemory(t *testing.T) {
	t.Parallel()
	f := startWith(t, e2ePolicy, func(o *Options) { o.ParseMemory = 1 << 20 })
	doc := goodYAML + strings.Repeat("# padding line\n", 1000) // 15 KB, about 2 MiB to parse
	code, msg := post(t, f, burstBody(doc), testSecret, time.Now())
	if code != http.StatusRequestEntityTooLarge || !strings.Contains(msg, "HANGAR_VALIDATE_PARSE_MEMORY") {
		t.Errorf("got %d %q, want 413 naming the parse memory", code, msg)
	}
	if code, msg := post(t, f, burstBody(goodYAML), testSecret, time.Now()); code != http.StatusNoContent {
		t.Errorf("small file: got %d %q, want 204", code, msg)
	}
}

// burstBody is a validate request for doc.
func burstBody(doc string) []byte {
	b, _ := json.Marshal(map[string]any{"build": pushBuild(), "repo": repoOf("a/b", false), "config": map[string]string{"data": doc}})
	return b
}
