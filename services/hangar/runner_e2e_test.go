package main

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hangar-ci/hangar/services/core/runnertest"
	"github.com/hangar-ci/hangar/shared/wire"
)

// TestRunnerEndToEnd runs the real drone-runner-exec against `hangar all`
// on each database: signed GitHub pushes become builds whose stages the
// runner claims, runs on this machine and reports back through /rpc/v2.
func TestRunnerEndToEnd(t *testing.T) {
	t.Parallel()
	for _, d := range coreDialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			// The core's webhooks go to the webhook service of the same
			// process, which synthesises build:completed and delivers every
			// event to the recorder.
			withWebhook := func(h *coreHangar, repoDir, hookURL string, env map[string]string) {
				delete(env, "DRONE_WEBHOOK_ENDPOINT") // the in-process webhook service
				sinks := fmt.Sprintf("sinks:\n  - name: recorder\n    kind: http\n    url: %s\n    secret: %s\n    backoff: 10ms\n", hookURL, coreSecret)
				if err := os.WriteFile(filepath.Join(repoDir, "_hangar", "sinks.yaml"), []byte(sinks), 0o644); err != nil {
					t.Fatal(err)
				}
				env["HANGAR_WEBHOOK_POLL"] = "50ms"
			}
			h := startCoreWith(t, d, map[string]string{"DRONE_RPC_SECRET": rpcSecret, "HANGAR_RUNNER_DEADLINE": "20s"},
				append(coreServices(), "webhook"), withWebhook)
			for _, name := range []string{"runner", "failing", "sleepy", "victim"} {
				h.activate("github", "Codertocat/"+name, nil)
			}
			proxy := newWatchProxy(t, h.URL)
			runnertest.Start(t, runnertest.Config{Host: proxy.Host, Secret: rpcSecret, Name: "e2e-" + string(d), Capacity: 4})
			for _, sc := range runnerScenarios {
				t.Run(sc.name, func(t *testing.T) {
					t.Parallel()
					sc.run(t, h, proxy)
				})
			}
		})
	}
}

var runnerScenarios = []struct {
	name string
	run  func(*testing.T, *coreHangar, *watchProxy)
}{
	{"two stages with live and stored logs", runnerTwoStages},
	{"failure runs on_failure and skips on_success", runnerFailure},
	{"cancel while the watch is parked", func(t *testing.T, h *coreHangar, p *watchProxy) { runnerCancel(t, h, p, false) }},
	{"cancel during the runner's pause between watches", func(t *testing.T, h *coreHangar, p *watchProxy) { runnerCancel(t, h, p, true) }},
	{"kill -9 of the runner", runnerKilled},
}

// push posts a signed GitHub push for Codertocat/name and returns the build.
func (h *coreHangar) push(t *testing.T, name string) int64 {
	t.Helper()
	res := h.postGitHub("push", corePayload(t, "github/push.json", coreGitHubRepo(name)), coreHookKey)
	if res.Build == nil {
		t.Fatalf("push to %s: no build (%d %s)", name, res.Status, res.Body)
	}
	return res.Build.Number
}

func runnerTwoStages(t *testing.T, h *coreHangar, _ *watchProxy) {
	const slug = "Codertocat/runner"
	n := h.push(t, "runner")
	h.waitBuild(t, slug, n, 60*time.Second, "running its first step", func(b wire.Build) bool {
		s := stepOf(b, 1, 1)
		return s != nil && s.Status == "running"
	})
	events := h.stream(t, fmt.Sprintf("/api/stream/%s/%d/1/1", slug, n))
	var got []string
	var sawLiveLine bool
	for ev := range events {
		if ev.Event == "error" {
			if ev.Data != "eof" {
				t.Errorf("stream ended with %q, want eof", ev.Data)
			}
			break
		}
		got = append(got, ev.Data)
		if strings.Contains(ev.Data, "hello from build") {
			// The step sleeps 6 s after this line: it must still run.
			var b wire.Build
			h.api(http.MethodGet, fmt.Sprintf("/repos/%s/builds/%d", slug, n), nil, &b)
			if s := stepOf(b, 1, 1); s != nil && s.Status == "running" {
				sawLiveLine = true
			}
		}
	}
	if !sawLiveLine {
		t.Errorf("no line streamed while the step ran; got %q", got)
	}
	if all := strings.Join(got, "\n"); !strings.Contains(all, "bye from build") || !strings.Contains(all, `"pos":0`) {
		t.Errorf("stream: got %q, want every line from position 0", got)
	}
	b := h.waitBuild(t, slug, n, 60*time.Second, "finished", func(b wire.Build) bool { return b.Finished != 0 })
	if b.Status != "success" {
		t.Fatalf("build: got %s (%s), want success", b.Status, stagesSummary(b))
	}
	want := "build=success[greet=success(0)]; test=success[check=success(0) second=success(0)]"
	if got := stagesSummary(b); got != want {
		t.Errorf("stages: got %s, want %s", got, want)
	}
	for _, s := range b.Stages {
		if !strings.HasPrefix(s.Machine, "e2e-") || s.Started == 0 || s.Stopped < s.Started {
			t.Errorf("stage %s: machine %q started %d stopped %d", s.Name, s.Machine, s.Started, s.Stopped)
		}
	}
	for _, c := range []struct {
		path, want string
	}{{"1/1", "\nhello from build\n"}, {"1/1", "\nbye from build\n"}, {"2/1", "\ntesting test\n"}, {"2/2", "\nsecond step\n"}} {
		code, body := h.raw(http.MethodGet, fmt.Sprintf("/api/repos/%s/builds/%d/logs/%s", slug, n, c.path))
		if code != http.StatusOK {
			t.Errorf("log %s: got %d %s", c.path, code, body)
			continue
		}
		if got := logText(t, body); !strings.Contains(got, c.want) {
			t.Errorf("log %s: got %q, want it to contain %q", c.path, got, c.want)
		}
	}
	runnerLogCLI(t, h, slug, n)
	var states []string
	for _, st := range h.GitHub.Statuses() {
		if st.Slug == slug {
			states = append(states, st.State+":"+st.Description)
		}
	}
	if wantStates := "pending:Build is pending,pending:Build is running,success:Build is passing"; strings.Join(states, ",") != wantStates {
		t.Errorf("commit statuses: got %v, want %s", states, wantStates)
	}
	if !runnerHasFinal(h, slug, n, "success") {
		t.Errorf("no build:completed webhook with the final status success")
	}
	// Step updates send build:updated while the build runs, as Drone's do
	// (nothing else does; the webhook service stores the build's version
	// once, so the recorder sees one of them).
	running := 0
	for _, e := range h.Webhook.Events() {
		if e.Event == "build" && e.Action == "updated" && e.Repo != nil && e.Repo.Slug == slug && e.Build != nil && e.Build.Number == n && e.Build.Status == "running" {
			running++
		}
	}
	if running < 1 {
		t.Errorf("build:updated while running: got none, want those of the step updates")
	}
}

// runnerHasFinal waits for the build:completed event the webhook service
// synthesised from the core's build:updated with the final status.
func runnerHasFinal(h *coreHangar, slug string, n int64, status string) bool {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		for _, e := range h.Webhook.Events() {
			if e.Event == "build" && e.Action == "completed" && e.Repo != nil && e.Repo.Slug == slug && e.Build != nil && e.Build.Number == n && e.Build.Status == status {
				return true
			}
		}
	}
	return false
}

func runnerFailure(t *testing.T, h *coreHangar, _ *watchProxy) {
	const slug = "Codertocat/failing"
	n := h.push(t, "failing")
	b := h.waitBuild(t, slug, n, 90*time.Second, "finished", func(b wire.Build) bool { return b.Finished != 0 })
	want := "build=failure[fail=failure(3)]; on-failure=success[report=success(0)]; on-success=skipped[]"
	if got := stagesSummary(b); b.Status != "failure" || got != want {
		t.Errorf("got %s with %s, want failure with %s", b.Status, got, want)
	}
	code, body := h.raw(http.MethodGet, fmt.Sprintf("/api/repos/%s/builds/%d/logs/1/1", slug, n))
	if code != http.StatusOK || !strings.Contains(logText(t, body), "about to fail") {
		t.Errorf("failing step's log: got %d %s", code, body)
	}
	if !runnerHasFinal(h, slug, n, "failure") {
		t.Errorf("no build:completed webhook with the final status failure")
	}
}

// runnerCancel cancels a build whose step sleeps 60 s: at once while the
// runner's watch is parked, or (inPause) right after a watch returned 204,
// while the runner sleeps 10 s before its next one.
func runnerCancel(t *testing.T, h *coreHangar, p *watchProxy, inPause bool) {
	const slug = "Codertocat/sleepy"
	n := h.push(t, "sleepy")
	running := h.waitBuild(t, slug, n, 60*time.Second, "running its step", func(b wire.Build) bool {
		s := stepOf(b, 1, 1)
		return s != nil && s.Status == "running"
	})
	var wait time.Duration // how long the runner may take to learn of the cancel
	if inPause {
		deadline := time.Now().Add(45 * time.Second)
		for {
			if w := p.watches(running.ID); len(w) > 0 && w[len(w)-1].Status == http.StatusNoContent {
				if since := time.Since(w[len(w)-1].End); since > 2*time.Second {
					t.Fatalf("watch 204 seen %v late: cannot time the cancel into the pause", since)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("no watch call of the runner returned 204")
			}
			time.Sleep(20 * time.Millisecond)
		}
		wait = 10 * time.Second // the runner's own sleep before it watches again
	} else {
		time.Sleep(time.Second) // the watch is parked by now
	}
	cancelled := time.Now()
	if code := h.api(http.MethodDelete, fmt.Sprintf("/repos/%s/builds/%d", slug, n), nil, nil); code != http.StatusOK {
		t.Fatalf("cancel: got %d", code)
	}
	// The runner uploads the step's log once it has killed the step: the
	// server marks the step killed at once, so its status proves nothing.
	logPath := fmt.Sprintf("/api/repos/%s/builds/%d/logs/1/1", slug, n)
	for deadline := time.Now().Add(wait + 5*time.Second); ; time.Sleep(20 * time.Millisecond) {
		if code, _ := h.raw(http.MethodGet, logPath); code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the runner did not end the step within %v of the cancel", wait+5*time.Second)
		}
	}
	took := time.Since(cancelled)
	b := h.build(slug, n)
	if b.Status != "killed" || stepOf(b, 1, 1).Status != "killed" {
		t.Errorf("got build %s, %s; want killed with the step killed", b.Status, stagesSummary(b))
	}
	if inPause {
		w := p.watches(running.ID)
		last := w[len(w)-1]
		if last.Status != http.StatusOK || last.Start.Before(cancelled) {
			t.Errorf("last watch: %+v, want a 200 begun after the cancel at %v", last, cancelled)
		}
	}
	if !inPause && took > 5*time.Second {
		t.Errorf("step killed %v after the cancel, want within 5s", took)
	}
	t.Logf("step killed %v after the cancel", took.Round(time.Millisecond))
	code, body := h.raw(http.MethodGet, logPath)
	if code != http.StatusOK || strings.Contains(logText(t, body), "woke up") || !strings.Contains(logText(t, body), "napping") {
		t.Errorf("killed step's log: got %d %s, want napping without waking up", code, body)
	}
}

// runnerKilled kills -9 the runner holding a stage mid-step: the stage
// ends in error naming the machine within the dead-runner time (20 s
// here, plus the reaper's tick) and the build finishes.
func runnerKilled(t *testing.T, h *coreHangar, p *watchProxy) {
	const slug = "Codertocat/victim"
	victim := runnertest.Start(t, runnertest.Config{Host: p.Host, Secret: rpcSecret, Name: "victim", Capacity: 1, Labels: map[string]string{"runner": "victim"}})
	n := h.push(t, "victim")
	h.waitBuild(t, slug, n, 60*time.Second, "running its step", func(b wire.Build) bool {
		s := stepOf(b, 1, 1)
		return s != nil && s.Status == "running"
	})
	victim.Kill()
	killed := time.Now()
	// Reaped 20 s after the runner's last heartbeat (at most 3.3 s before
	// the kill), on the reaper's next 5 s tick; slack for a loaded machine.
	b := h.waitBuild(t, slug, n, 40*time.Second, "finished", func(b wire.Build) bool { return b.Finished != 0 })
	t.Logf("build finished %v after the kill", time.Since(killed).Round(time.Millisecond))
	if b.Status != "error" || b.Stages[0].Status != "error" || !strings.Contains(b.Stages[0].Error, "victim") {
		t.Errorf("got %s, %s; want error naming the runner", b.Status, stagesSummary(b))
	}
}

// runnerLogCLI reads the log the real runner produced with drone-cli's
// `log view`, purges it with `log purge`, and sees the view fail with 404.
func runnerLogCLI(t *testing.T, h *coreHangar, slug string, n int64) {
	t.Helper()
	cli := &droneCLI{t: t, bin: droneBin(t), server: h.URL, token: coreToken, home: t.TempDir(), outputs: &bytes.Buffer{}}
	num := strconv.FormatInt(n, 10)
	wantLines(t, "log view", cli.run("log", "view", slug, num, "1", "1"), "hello from build", "bye from build")
	wantLines(t, "log view", cli.run("log", "view", slug, num, "2", "2"), "second step")
	wantLines(t, "log purge", cli.run("log", "purge", slug, num, "1", "1"), "Purging logs for build "+slug+"#"+num)
	if out, err := cli.try("log", "view", slug, num, "1", "1"); err == nil || !strings.Contains(out, "404") {
		t.Errorf("log view after the purge: got %v %q, want a 404", err, out)
	}
	if code, _ := h.raw(http.MethodGet, fmt.Sprintf("/api/repos/%s/builds/%d/logs/1/1", slug, n)); code != http.StatusNotFound {
		t.Errorf("stored log after the purge: got %d, want 404", code)
	}
	// The other steps' logs are untouched.
	wantLines(t, "log view", cli.run("log", "view", slug, num, "2", "1"), "testing test")
}
