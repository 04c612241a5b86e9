package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hangar-ci/hangar/services/core/runnertest"
	"github.com/hangar-ci/hangar/shared/sqldb"
	"github.com/hangar-ci/hangar/shared/wire"
)

// TestWebRunnerPages runs the real drone-runner-exec against `hangar all`
// and watches the build page in headless Chromium: a step's lines appear
// live while the runner runs it, a stage no runner matches says why it
// waits, and a 100,000-line log opens without freezing the tab.
func TestWebRunnerPages(t *testing.T) {
	h := startCore(t, sqldb.SQLite, map[string]string{"DRONE_RPC_SECRET": rpcSecret})
	for _, name := range []string{"runner", "nomatch", "longlog"} {
		h.activate("github", "Codertocat/"+name, nil)
	}
	runnertest.Start(t, runnertest.Config{Host: strings.TrimPrefix(h.URL, "http://"), Secret: rpcSecret, Name: "web", Capacity: 2})
	browser := startBrowser(t)

	t.Run("live log while the step runs", func(t *testing.T) {
		ctx := tab(t, browser)
		signIn(t, ctx, h.URL)
		n := h.push(t, "runner")
		h.waitBuild(t, "Codertocat/runner", n, 60*time.Second, "running its first step", func(b wire.Build) bool {
			s := stepOf(b, 1, 1)
			return s != nil && s.Status == "running"
		})
		do(t, ctx, chromedp.Navigate(fmt.Sprintf("%s/Codertocat/runner/%d/1/1", h.URL, n)))
		// The step sleeps 4 s after its first line: the line must show
		// while the page still says the step runs.
		waitFor(t, ctx, "a live line while the step runs", `[...document.querySelectorAll('#log-view .ln .o')].some(o => o.textContent.includes('hello from build')) &&
			document.querySelector('#steps a[data-step=greet] .status').textContent === 'running'`)
		screenshot(t, ctx, "build-page-live-log")
		waitFor(t, ctx, "the step's last line and success", `[...document.querySelectorAll('#log-view .ln .o')].some(o => o.textContent.includes('bye from build')) &&
			document.querySelector('#steps a[data-step=greet] .status').textContent === 'success'`)
		nums := eval[[]string](t, ctx, `[...document.querySelectorAll('#log-view .ln a')].map(a => a.textContent)`)
		for i, s := range nums {
			if s != fmt.Sprint(i+1) {
				t.Fatalf("line numbers: got %v, want 1..%d", nums, len(nums))
			}
		}
		if got := eval[string](t, ctx, `document.querySelector('#log-view .ln .t').textContent`); !strings.HasSuffix(got, "s") {
			t.Errorf("elapsed time of line 1: got %q, want seconds", got)
		}
		click(t, ctx, `#log-view .ln a[data-line="2"]`)
		waitFor(t, ctx, "the line link in the address", `location.hash === '#L2' && document.getElementById('L2').classList.contains('target')`)
		waitFor(t, ctx, "the build finished", `document.querySelector('#build-head .status').textContent === 'success'`)
	})

	t.Run("why a stage no runner matches waits", func(t *testing.T) {
		ctx := tab(t, browser)
		signIn(t, ctx, h.URL)
		n := h.push(t, "nomatch")
		do(t, ctx, chromedp.Navigate(fmt.Sprintf("%s/Codertocat/nomatch/%d", h.URL, n)))
		waitFor(t, ctx, "the queue's reason", `(document.getElementById('why') || {}).textContent === 'Why it waits: no runner with matching labels'`)
		screenshot(t, ctx, "build-page-why-pending")
	})

	t.Run("100,000 log lines", func(t *testing.T) {
		ctx := tab(t, browser)
		signIn(t, ctx, h.URL)
		n := h.push(t, "longlog")
		h.waitBuild(t, "Codertocat/longlog", n, 120*time.Second, "finished", func(b wire.Build) bool { return b.Finished != 0 })
		do(t, ctx, chromedp.Navigate(fmt.Sprintf("%s/Codertocat/longlog/%d/1/1#L99999", h.URL, n)))
		waitFor(t, ctx, "line 99999 in view", `document.getElementById('L99999') && document.getElementById('L99999').classList.contains('target')`)
		stats := eval[map[string]float64](t, ctx, `(() => {
			const nav = performance.getEntriesByType('navigation')[0];
			return {lines: HangarBuild.log().lines.length,
				rows: document.querySelectorAll('#log-view .ln').length,
				height: document.querySelector('#log-view .spacer').offsetHeight,
				shown: performance.now() - nav.startTime};
		})()`)
		t.Logf("100,000-line log: %v lines, %v DOM rows for %v px of log, line 99999 shown %.0f ms after navigation", stats["lines"], stats["rows"], stats["height"], stats["shown"])
		if stats["lines"] < 100000 || stats["rows"] > 500 || stats["height"] != stats["lines"]*18 {
			t.Errorf("log view: got %v lines, %v rows in the DOM and %v px, want at least 100,000 lines, at most 500 rows (virtualised), 18 px a line", stats["lines"], stats["rows"], stats["height"])
		}
		do(t, ctx, chromedp.SendKeys(chromedp.CSS("#log-q"), "77777\n"))
		waitFor(t, ctx, "the search's match", `document.getElementById('log-count').textContent === '1/1' && document.querySelector('#log-view .ln.cur .o').textContent === '77777'`)
		// The tab stays responsive: a task queued now runs at once.
		lag := eval[float64](t, ctx, `new Promise(r => { const t0 = performance.now(); setTimeout(() => r(performance.now() - t0), 0); })`)
		t.Logf("event-loop lag after search: %.1f ms", lag)
		screenshot(t, ctx, "build-page-long-log")
	})
}
