package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hangar-ci/hangar/services/core/runnertest"
	"github.com/hangar-ci/hangar/shared/wire"
)

// TestRunnersExactlyOnce runs 20 builds of 3 stages on two real runners
// of capacity 2 each: every stage runs exactly once, none is lost. Beside
// them a stage whose labels no runner has stays pending with the reason
// in /api/queue, and a pipeline with concurrency.limit 1 never runs two
// stages at once.
func TestRunnersExactlyOnce(t *testing.T) {
	t.Parallel()
	for _, d := range coreDialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			h := startCore(t, d, map[string]string{"DRONE_RPC_SECRET": rpcSecret})
			for _, name := range []string{"fanout", "nomatch", "limited"} {
				h.activate("github", "Codertocat/"+name, nil)
			}
			runs := filepath.Join(t.TempDir(), "runs")
			host := strings.TrimPrefix(h.URL, "http://")
			for _, name := range []string{"one", "two"} {
				runnertest.Start(t, runnertest.Config{Host: host, Secret: rpcSecret, Name: name, Capacity: 2,
					Env: map[string]string{"DRONE_RUNNER_ENVIRON": "RUNS_FILE:" + runs}})
			}
			nomatch := h.push(t, "nomatch")
			var limited []int64
			for range 3 {
				limited = append(limited, h.push(t, "limited"))
			}
			const n = 20
			var wg sync.WaitGroup
			numbers := make(chan int64, n)
			for range n {
				wg.Go(func() { numbers <- h.push(t, "fanout") })
			}
			wg.Wait()
			close(numbers)
			// While the limited builds queue, one of them waits on the limit.
			sawLimit := false
			for deadline := time.Now().Add(10 * time.Second); !sawLimit && time.Now().Before(deadline); {
				for _, q := range h.queue(t) {
					sawLimit = sawLimit || q.Reason == "over the pipeline's concurrency limit"
				}
				time.Sleep(50 * time.Millisecond)
			}
			if !sawLimit {
				t.Error("/api/queue never showed a stage over its concurrency limit")
			}
			for number := range numbers {
				b := h.waitBuild(t, "Codertocat/fanout", number, 120*time.Second, "finished", func(b wire.Build) bool { return b.Finished != 0 })
				if b.Status != "success" {
					t.Errorf("fanout#%d: %s %s", number, b.Status, stagesSummary(b))
				}
			}
			data, err := os.ReadFile(runs)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Fields(string(data))
			slices.Sort(lines)
			var want []string
			for i := 1; i <= n; i++ {
				for _, st := range []string{"a", "b", "c"} {
					want = append(want, fmt.Sprintf("%d:%s", i, st))
				}
			}
			slices.Sort(want)
			if !slices.Equal(lines, want) {
				t.Errorf("stages run: got %d %v, want each of %d once", len(lines), lines, len(want))
			}
			// Limited: three builds, never two deploys at the same time.
			var spans [][2]int64
			for _, number := range limited {
				b := h.waitBuild(t, "Codertocat/limited", number, 60*time.Second, "finished", func(b wire.Build) bool { return b.Finished != 0 })
				if b.Status != "success" {
					t.Errorf("limited#%d: %s", number, b.Status)
				}
				spans = append(spans, [2]int64{b.Stages[0].Started, b.Stages[0].Stopped})
			}
			slices.SortFunc(spans, func(a, b [2]int64) int { return int(a[0] - b[0]) })
			for i := 1; i < len(spans); i++ {
				if spans[i][0] < spans[i-1][1] {
					t.Errorf("deploys overlap despite concurrency.limit 1: %v", spans)
				}
			}
			// The stage no runner can take is still pending, and says why.
			var reason string
			for _, q := range h.queue(t) {
				if q.BuildID != 0 && q.Name == "gpu" {
					reason = q.Reason
				}
			}
			if reason != "no runner with matching labels" {
				t.Errorf("gpu stage of build %d: reason %q, want no runner with matching labels", nomatch, reason)
			}
			if b := h.build("Codertocat/nomatch", nomatch); b.Status != "pending" {
				t.Errorf("nomatch#%d: got %s, want pending", nomatch, b.Status)
			}
		})
	}
}

type queued struct {
	wire.Stage
	Reason string `json:"reason"`
}

func (h *coreHangar) queue(t *testing.T) []queued {
	t.Helper()
	code, body := h.raw(http.MethodGet, "/api/queue")
	var out []queued
	if code != http.StatusOK || json.Unmarshal(body, &out) != nil {
		t.Fatalf("/api/queue: %d %s", code, body)
	}
	return out
}
