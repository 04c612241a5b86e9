package main

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

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
// replica mid-run and a restart. Each time every stage runs exactly once
// (counted from the lines the steps append), every build succeeds and
// every step log is complete when read through each replica.
func TestHAThreeReplicas(t *testing.T) {
	t.Parallel()
	c := startHA(t)
	c.concurrentHooks(t)
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
	h := c.replica(2)
	builds := h.builds("Codertocat/busy")
	var more []wire.Build
	h.api(http.MethodGet, "/repos/Codertocat/busy/builds?per_page=100&page=2", nil, &more)
	builds = append(builds, more...)
	if len(builds) != n {
		t.Fatalf("builds: got %d, want %d", len(builds), n)
	}
	for i, b := range builds {
		if want := int64(n - i); b.Number != want {
			t.Fatalf("build at %d: got number %d, want %d", i, b.Number, want)
		}
	}
	t.Logf("%d concurrent hooks over 3 replicas: builds 1..%d, no gap, no repeat", n, n)
}
