package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drone/runner-go/client"

	"github.com/hangar-ci/hangar/services/core/runnertest"
	"github.com/hangar-ci/hangar/shared/wire"
)

// haBuilds is how many builds of three stages each phase sends.
const haBuilds = 100

var haStages = []string{"a", "b", "c"}

// TestHAThreeReplicas first posts 200 hooks for one repository at once,
// spread over the three replicas: builds 1..200, no gap, no repeat. It runs
// three `hangar all` processes on one PostgreSQL
// schema behind HAProxy (round-robin, health-checked on /readyz) with
// three drone-runner-exec processes polling through it. Signed pushes go
// to the replicas in turn. Then the same again with kill -9 of one
// replica mid-run and a restart, and a rolling restart (SIGTERM) of
// another. Each time every stage runs exactly once
// (counted from the lines the steps append), every build succeeds and
// every step log is complete when read through each replica.
func TestHAThreeReplicas(t *testing.T) {
	t.Parallel()
	c := startHA(t)
	c.concurrentHooks(t)
	c.latency(t)
	for i := range 3 {
		runnertest.Start(t, runnertest.Config{Host: c.Balancer, Secret: rpcSecret, Name: fmt.Sprintf("ha-runner-%d", i), Capacity: 4})
	}

	start := time.Now()
	first := c.pushAll(t, func(int) {})
	c.check(t, first)
	t.Logf("%d builds of 3 stages over 3 replicas: %v", haBuilds, time.Since(start).Round(time.Millisecond))

	start = time.Now()
	var killedAt time.Time
	second := c.pushAll(t, func(k int) {
		if k == haBuilds/2 {
			c.kill(1)
			killedAt = time.Now()
		}
		if k == haBuilds/2+haBuilds/5 {
			time.Sleep(3*time.Second - time.Since(killedAt)) // down while its builds run
			c.start(1)
			c.waitReady(1, 60*time.Second)
			t.Logf("replica 1 killed with SIGKILL, back after %v", time.Since(killedAt).Round(time.Millisecond))
		}
		if k == haBuilds*4/5 {
			// A rolling restart: SIGTERM drains replica 2, then it comes back.
			rolled := time.Now()
			c.stop(2)
			c.start(2)
			c.waitReady(2, 60*time.Second)
			t.Logf("replica 2 rolled (SIGTERM, drain, restart) in %v", time.Since(rolled).Round(time.Millisecond))
		}
	})
	c.check(t, append(first, second...))
	t.Logf("%d builds with a replica killed mid-run: %v", haBuilds, time.Since(start).Round(time.Millisecond))
}

// pushAll sends haBuilds signed pushes, build k to a live replica in turn,
// calling between before each, and returns the build numbers.
func (c *haCluster) pushAll(t *testing.T, between func(k int)) []int64 {
	t.Helper()
	var out []int64
	for k := range haBuilds {
		between(k)
		i := k % 3
		if c.cmds[i] == nil {
			i = (i + 1) % 3
		}
		out = append(out, c.replica(i).push(t, "ha"))
	}
	return out
}

// check waits for every build and checks the runners ran each stage once
// and every log reads complete through every replica.
func (c *haCluster) check(t *testing.T, numbers []int64) {
	t.Helper()
	const slug = "Codertocat/ha"
	for k, n := range numbers {
		b := c.replica(k%3).waitBuild(t, slug, n, 5*time.Minute, "finished", func(b wire.Build) bool { return b.Finished != 0 })
		if b.Status != "success" {
			t.Errorf("build %d: got %s (%s), want success", n, b.Status, stagesSummary(b))
		}
	}
	runs := c.executions()
	total := 0
	for _, n := range numbers {
		for _, s := range haStages {
			key := fmt.Sprintf("%d %s", n, s)
			if got := runs[key]; got != 1 {
				t.Errorf("stage %s of build %d ran %d times, want 1", s, n, got)
			}
		}
	}
	for _, v := range runs {
		total += v
	}
	if want := 3 * len(numbers); total != want {
		t.Errorf("executions: got %d, want %d", total, want)
	}
	for i := range 3 {
		h := c.replica(i)
		for _, n := range numbers {
			for s, name := range haStages {
				code, body := h.raw(http.MethodGet, fmt.Sprintf("/api/repos/%s/builds/%d/logs/%d/1", slug, n, s+1))
				if code != http.StatusOK {
					t.Errorf("replica %d, log of build %d stage %s: got %d %s", i, n, name, code, body)
					continue
				}
				got := logText(t, body)
				for _, want := range []string{"first line of " + name + "\n", "last line of " + name + "\n"} {
					if !strings.Contains(got, want) {
						t.Errorf("replica %d, log of build %d stage %s: got %q, want it to contain %q", i, n, name, got, want)
					}
				}
			}
		}
	}
}

// concurrentHooks posts 200 pushes for Codertocat/busy at once, hook k to
// replica k%3, and checks the numbering. Busy's pipeline is of the docker
// type, which the exec runners never take.
func (c *haCluster) concurrentHooks(t *testing.T) {
	t.Helper()
	c.replica(1).activate("github", "Codertocat/busy", nil)
	body := corePayload(t, "github/push.json", coreGitHubRepo("busy"))
	const n = 200
	var wg sync.WaitGroup
	failures := make(chan string, n)
	for k := range n {
		wg.Go(func() {
			if res := c.replica(k%3).postGitHub("push", body, coreHookKey); res.Build == nil {
				failures <- fmt.Sprintf("%d %s", res.Status, res.Body)
			}
		})
	}
	wg.Wait()
	close(failures)
	for f := range failures {
		t.Fatalf("a hook created no build: %s", f)
	}
	c.replica(2).checkNumbered(t, "Codertocat/busy", n)
	t.Logf("%d concurrent hooks over 3 replicas: builds 1..%d, no gap, no repeat", n, n)
}

// latency times, across the replica processes and with runner-go's client
// as the runner: a signed push on replica 0 reaching a poll parked on
// replica 1, a cancel through replica 1's API reaching a watch parked on
// replica 0, and log batches sent to replica 0 reaching a viewer streaming
// from replica 2. It runs before the real runners start, so the probe
// takes every Codertocat/halat stage.
func (c *haCluster) latency(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	a, b, viewer := c.replica(0), c.replica(1), c.replica(2)
	a.activate("github", "Codertocat/halat", nil)
	onA, onB := client.New(a.URL, rpcSecret, false), client.New(b.URL, rpcSecret, false)
	filter := &client.Filter{Kind: "pipeline", Type: "exec", OS: "linux", Arch: "amd64"}
	cancel := func(n int64) func() error {
		return func() error {
			if code, body := b.raw(http.MethodDelete, fmt.Sprintf("/api/repos/Codertocat/halat/builds/%d", n)); code != http.StatusOK {
				return fmt.Errorf("cancel of build %d on replica 1: %d %s", n, code, body)
			}
			return nil
		}
	}
	var dispatch, cancels []time.Duration
	for range 30 {
		var n int64
		stage, d, err := runnertest.Dispatch(ctx, onB, filter, func() error {
			n = a.push(t, "halat")
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		dispatch = append(dispatch, d)
		stage.Machine = "probe"
		if err := onB.Accept(ctx, stage); err != nil {
			t.Fatal(err)
		}
		d, err = runnertest.Cancel(ctx, onA, stage.BuildID, cancel(n))
		if err != nil {
			t.Fatal(err)
		}
		cancels = append(cancels, d)
	}
	var n int64
	stage, _, err := runnertest.Dispatch(ctx, onA, filter, func() error {
		n = b.push(t, "halat")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	step, err := runnertest.RunOneStep(ctx, onA, stage, "probe")
	if err != nil {
		t.Fatal(err)
	}
	logs, err := runnertest.LiveLog(ctx, onA, step, fmt.Sprintf("%s/api/stream/Codertocat/halat/%d/1/1", viewer.URL, n), coreToken, 100, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := cancel(n)(); err != nil {
		t.Fatal(err)
	}
	// The figures are logged; what is checked is that each wake-up
	// crossed: the polling safety nets (30 s, 15 s, 5 s) would be slower
	// than these bounds.
	for _, m := range []struct {
		what  string
		lat   []time.Duration
		bound time.Duration
	}{
		{"dispatch, signed push on replica 0 to the poll parked on replica 1", dispatch, 10 * time.Second},
		{"cancel, API on replica 1 to the watch parked on replica 0", cancels, 10 * time.Second},
		{"live log, batch on replica 0 to the viewer on replica 2", logs, 4 * time.Second},
	} {
		median, p99, worst := runnertest.Summary(m.lat)
		t.Logf("%s: n=%d median=%v p99=%v worst=%v", m.what, len(m.lat), median.Round(10*time.Microsecond), p99.Round(10*time.Microsecond), worst.Round(10*time.Microsecond))
		if worst > m.bound {
			t.Errorf("%s: slowest %v: a wake-up did not cross, the safety net delivered", m.what, worst)
		}
	}
}
