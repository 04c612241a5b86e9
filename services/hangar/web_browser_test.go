package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hangar-ci/hangar/services/core/coretest"
	"github.com/hangar-ci/hangar/shared/sqldb"
	"github.com/hangar-ci/hangar/shared/wire"
)

// TestWebPages drives the pages in headless Chromium against `hangar all`
// (SQLite): builds come from signed GitHub pushes, runners' reports go
// through the stage API, and every action is a click on the page.
func TestWebPages(t *testing.T) {
	h := startCore(t, sqldb.SQLite, nil)
	for _, name := range []string{"dag", "blocked", "custom"} {
		h.activate("github", "Codertocat/"+name, nil)
	}
	push := func(repo, branch string) *wire.Build {
		t.Helper()
		body := corePayload(t, "github/push.json", func(m map[string]any) {
			coreGitHubRepo(repo)(m)
			m["ref"] = "refs/heads/" + branch
		})
		res := h.postGitHub("push", body, coreHookKey)
		if res.Build == nil {
			t.Fatalf("push to %s %s: got %d %s, want a build", repo, branch, res.Status, res.Body)
		}
		return res.Build
	}
	// The new-build form's commit, as GitHub would answer for it.
	h.GitHub.SetCommit("Codertocat/custom", corePushSHA, coretest.Commit{Message: "Deploy it", AuthorLogin: "Codertocat"})
	push("dag", "master")      // #1
	push("dag", "feature/web") // #2
	push("dag", "master")      // #3
	browser := startBrowser(t)
	for _, tc := range []struct {
		name string
		run  func(*testing.T, *coreHangar, context.Context)
	}{
		{"sign-in box without credentials", webSignInBox},
		{"build list filtered by branch", webBuildListFilter},
		{"build page: stage graph, live status, weight", webBuildPage},
		{"cancel from the build page", webCancel},
		{"approve and decline blocked stages", func(t *testing.T, h *coreHangar, ctx context.Context) { webApproveDecline(t, h, ctx, push) }},
		{"new build form, then promote", webNewBuildAndPromote},
		{"restart a finished build", webRestart},
		{"repository settings and badge", webSettings},
		{"phone width and keyboard", webPhoneAndKeyboard},
		{"log viewer with 100,000 lines", webLogViewer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := tab(t, browser)
			if tc.name != "sign-in box without credentials" {
				signIn(t, ctx, h.URL)
			}
			tc.run(t, h, ctx)
		})
	}
}

func webSignInBox(t *testing.T, h *coreHangar, ctx context.Context) {
	do(t, ctx, chromedp.Navigate(h.URL+"/Codertocat/dag"))
	waitFor(t, ctx, "the sign-in box", `!document.getElementById('signin').hidden`)
	if n := count(t, ctx, "#builds li[data-number]"); n != 0 {
		t.Errorf("builds shown without credentials: got %d, want 0", n)
	}
	if got := eval[string](t, ctx, `document.querySelector('#signin a').getAttribute('href')`); got != "/login" {
		t.Errorf("login link: got %q, want /login", got)
	}
}

func webBuildListFilter(t *testing.T, h *coreHangar, ctx context.Context) {
	waitFor(t, ctx, "the dag repository in the list", `document.querySelector('#repos li[data-slug="Codertocat/dag"]')`)
	click(t, ctx, `#repos li[data-slug="Codertocat/dag"] a.title`)
	waitFor(t, ctx, "three builds", `document.querySelectorAll('#builds li[data-number]').length === 3`)
	numbers := eval[[]string](t, ctx, `[...document.querySelectorAll('#builds li[data-number]')].map(li => li.dataset.number)`)
	if want := []string{"3", "2", "1"}; !slices.Equal(numbers, want) {
		t.Errorf("builds: got %v, want %v (newest first)", numbers, want)
	}
	screenshot(t, ctx, "build-list")
	do(t, ctx,
		chromedp.SendKeys(chromedp.CSS(`#filters input[name=branch]`), "feature/web"),
		chromedp.Click(chromedp.CSS(`#filters button[type=submit]`)),
	)
	waitFor(t, ctx, "the filtered list", `location.search.includes('branch=feature%2Fweb') && document.querySelectorAll('#builds li[data-number]').length === 1`)
	if got := eval[string](t, ctx, `document.querySelector('#builds li[data-number]').dataset.branch`); got != "feature/web" {
		t.Errorf("filtered build's branch: got %q, want feature/web", got)
	}
	if got := eval[string](t, ctx, `document.querySelector('#filters input[name=branch]').value`); got != "feature/web" {
		t.Errorf("filter box after reload: got %q, want feature/web", got)
	}
	screenshot(t, ctx, "build-list-filtered")
}

func webBuildPage(t *testing.T, h *coreHangar, ctx context.Context) {
	clearCache(t, ctx)
	do(t, ctx, chromedp.Navigate(h.URL+"/Codertocat/dag/1"))
	waitFor(t, ctx, "three stages drawn", `document.querySelectorAll('#graph a.node').length === 3`)
	waitFor(t, ctx, "the first render mark", `performance.getEntriesByName('hangar:first-render').length === 1`)
	w := eval[pageWeight](t, ctx, pageWeightJS)
	t.Logf("build page with 3 stages, cold cache: %s", w)
	if w.Transfer <= 0 || w.Transfer > 200<<10 {
		t.Errorf("build page transferred %d bytes, want between 1 and 200 KiB", w.Transfer)
	}
	if w.FirstRender <= 0 {
		t.Errorf("first render mark at %v ms, want a positive time", w.FirstRender)
	}
	stages := eval[[]string](t, ctx, `[...document.querySelectorAll('#graph a.node')].map(a => a.dataset.stage + ':' + a.dataset.status)`)
	if want := []string{"build:pending", "test:waiting_on_dependencies", "publish:waiting_on_dependencies"}; !slices.Equal(stages, want) {
		t.Errorf("stages: got %v, want %v", stages, want)
	}
	edges := eval[[]string](t, ctx, `[...document.querySelectorAll('#graph path.edge')].map(p => p.dataset.from + '->' + p.dataset.to).sort()`)
	if want := []string{"build->publish", "build->test", "test->publish"}; !slices.Equal(edges, want) {
		t.Errorf("depends_on arrows: got %v, want %v", edges, want)
	}
	// Columns follow the longest dependency chain.
	xs := eval[[]float64](t, ctx, `[...document.querySelectorAll('#graph a.node rect')].map(r => Number(r.getAttribute('x')))`)
	if len(xs) != 3 || !(xs[0] < xs[1] && xs[1] < xs[2]) {
		t.Errorf("stage columns x: got %v, want build < test < publish", xs)
	}
	// No runner polls this server: the queue says so.
	waitFor(t, ctx, "why the selected stage waits", `(document.getElementById('why') || {}).textContent === 'Why it waits: no runner is polling'`)
	// A runner's report reaches the open page without a reload, through
	// the global event stream.
	waitFor(t, ctx, "the event stream open", `window.Hangar.stats.open`)
	events := eval[int](t, ctx, `window.Hangar.stats.events`)
	report := func(stage int, status string) {
		t.Helper()
		if code := h.api(http.MethodPut, fmt.Sprintf("/repos/Codertocat/dag/builds/1/stages/%d", stage), map[string]any{"status": status}, nil); code != http.StatusOK {
			t.Fatalf("report stage %d %s: got %d, want 200", stage, status, code)
		}
	}
	report(1, "running")
	waitFor(t, ctx, "build running on the page", `document.querySelector('#graph a.node[data-stage=build]').dataset.status === 'running'`)
	if got := eval[int](t, ctx, `window.Hangar.stats.events`); got <= events {
		t.Errorf("events received over /api/stream: got %d, want more than %d", got, events)
	}
	report(1, "success")
	waitFor(t, ctx, "test pending after build passed", `document.querySelector('#graph a.node[data-stage=test]').dataset.status === 'pending'`)
	if got := eval[string](t, ctx, `document.querySelector('#build-head .status').textContent`); got != "running" {
		t.Errorf("build status on the page: got %q, want running", got)
	}
	screenshot(t, ctx, "build-page")
}

func webCancel(t *testing.T, h *coreHangar, ctx context.Context) {
	do(t, ctx, chromedp.Navigate(h.URL+"/Codertocat/dag/2"))
	waitFor(t, ctx, "the cancel button", `document.getElementById('cancel')`)
	click(t, ctx, "#cancel")
	waitFor(t, ctx, "the build killed on the page", `document.querySelector('#build-head .status').textContent === 'killed'`)
	if b := h.build("Codertocat/dag", 2); b.Status != "killed" {
		t.Errorf("build #2 after cancel: got %s, want killed", b.Status)
	}
	if n := count(t, ctx, "#cancel"); n != 0 {
		t.Errorf("cancel button after cancel: got %d, want none", n)
	}
}

func webApproveDecline(t *testing.T, h *coreHangar, ctx context.Context, push func(string, string) *wire.Build) {
	first, second := push("blocked", "master"), push("blocked", "master")
	do(t, ctx, chromedp.Navigate(fmt.Sprintf("%s/Codertocat/blocked/%d", h.URL, first.Number)))
	waitFor(t, ctx, "approve buttons", `document.getElementById('approve-1') && document.getElementById('approve-2')`)
	waitFor(t, ctx, "why it waits", `(document.getElementById('why') || {}).textContent === 'Why it waits: blocked: waiting for approval'`)
	click(t, ctx, "#approve-1")
	waitFor(t, ctx, "build stage pending after approval", `document.querySelector('#graph a.node[data-stage=build]').dataset.status === 'pending'`)
	if b := h.build("Codertocat/blocked", first.Number); b.Stages[0].Status != "pending" || b.Stages[1].Status != "blocked" {
		t.Errorf("after approving stage 1: got %s/%s, want pending/blocked", b.Stages[0].Status, b.Stages[1].Status)
	}
	if n := count(t, ctx, "#approve-1"); n != 0 {
		t.Errorf("approve button of an approved stage: got %d, want none", n)
	}
	do(t, ctx, chromedp.Navigate(fmt.Sprintf("%s/Codertocat/blocked/%d", h.URL, second.Number)))
	waitFor(t, ctx, "decline button", `document.getElementById('decline-1')`)
	click(t, ctx, "#decline-1")
	waitFor(t, ctx, "build declined on the page", `document.querySelector('#build-head .status').textContent === 'declined'`)
	if b := h.build("Codertocat/blocked", second.Number); b.Status != "declined" {
		t.Errorf("after declining: got %s, want declined", b.Status)
	}
}

func webNewBuildAndPromote(t *testing.T, h *coreHangar, ctx context.Context) {
	do(t, ctx, chromedp.Navigate(h.URL+"/Codertocat/custom"))
	waitFor(t, ctx, "the empty list", `document.querySelector('#builds li.empty')`)
	do(t, ctx,
		chromedp.Click(chromedp.CSS("#new-build summary")),
		chromedp.SendKeys(chromedp.CSS("#nb-branch"), "master"),
		chromedp.SendKeys(chromedp.CSS("#nb-commit"), corePushSHA),
		chromedp.SendKeys(chromedp.CSS("#nb-params"), "DEPLOY=prod\nREGION=eu"),
		chromedp.Click(chromedp.CSS("#new-build-form button[type=submit]")),
	)
	waitFor(t, ctx, "the new build's page", `location.pathname === '/Codertocat/custom/1' && document.querySelectorAll('#graph a.node').length === 3`)
	if got := eval[string](t, ctx, `document.querySelector('#build-head .msg').textContent`); got != "Deploy it" {
		t.Errorf("new build's message on its page: got %q, want the commit's, Deploy it", got)
	}
	b := h.build("Codertocat/custom", 1)
	if b.Event != "custom" || b.Target != "master" || b.After != corePushSHA || b.Params["DEPLOY"] != "prod" || b.Params["REGION"] != "eu" {
		t.Errorf("custom build: got %s on %s at %s with %v, want custom on master at %s with DEPLOY=prod REGION=eu", b.Event, b.Target, b.After, b.Params, corePushSHA)
	}
	do(t, ctx, chromedp.Navigate(h.URL+"/Codertocat/custom/1"))
	waitFor(t, ctx, "the promote form", `document.getElementById('promote-target')`)
	do(t, ctx,
		chromedp.SendKeys(chromedp.CSS("#promote-target"), "production"),
		chromedp.SendKeys(chromedp.CSS("#promote-params"), "VERSION=1.2"),
		chromedp.Click(chromedp.CSS("#promote button[type=submit]")),
	)
	waitFor(t, ctx, "the promotion's page", `location.pathname === '/Codertocat/custom/2'`)
	p := h.build("Codertocat/custom", 2)
	if p.Event != "promote" || p.Deploy != "production" || p.Params["VERSION"] != "1.2" || p.Params["DEPLOY"] != "prod" || p.Parent != 1 {
		t.Errorf("promotion: got %s to %q params %v parent %d, want promote to production with VERSION=1.2 and DEPLOY=prod, parent 1", p.Event, p.Deploy, p.Params, p.Parent)
	}
}

func webRestart(t *testing.T, h *coreHangar, ctx context.Context) {
	// #2 was cancelled above; restarting makes the next number.
	before := len(h.builds("Codertocat/dag"))
	do(t, ctx, chromedp.Navigate(h.URL+"/Codertocat/dag/2"))
	waitFor(t, ctx, "the restart button", `document.getElementById('restart')`)
	click(t, ctx, "#restart")
	want := fmt.Sprintf("/Codertocat/dag/%d", before+1)
	waitFor(t, ctx, "the restarted build's page", fmt.Sprintf(`location.pathname === %q`, want))
	b := h.build("Codertocat/dag", int64(before+1))
	if b.Parent != 2 || b.Target != "feature/web" || b.Status != "pending" {
		t.Errorf("restarted build: got parent %d on %s %s, want parent 2 on feature/web pending", b.Parent, b.Target, b.Status)
	}
}

func webSettings(t *testing.T, h *coreHangar, ctx context.Context) {
	do(t, ctx, chromedp.Navigate(h.URL+"/Codertocat/dag/settings"))
	waitFor(t, ctx, "the settings loaded", `document.querySelector('#settings-form [name=config_path]').value === '.drone.yml'`)
	do(t, ctx,
		chromedp.Click(chromedp.CSS(`#settings-form [name=trusted]`)),
		chromedp.Click(chromedp.CSS(`#settings-form [name=auto_cancel_pushes]`)),
		chromedp.SetValue(chromedp.CSS(`#settings-form [name=timeout]`), "90"),
		chromedp.Click(chromedp.CSS(`#settings-form button[type=submit]`)),
	)
	waitFor(t, ctx, "the saved message", `document.getElementById('flash').textContent === 'Settings saved.'`)
	var repo wire.Repository
	if code := h.api(http.MethodGet, "/repos/Codertocat/dag", nil, &repo); code != http.StatusOK {
		t.Fatalf("repo: got %d", code)
	}
	if !repo.Trusted || !repo.CancelPush || repo.Timeout != 90 || repo.Protected {
		t.Errorf("saved settings: got trusted %v auto-cancel pushes %v timeout %d protected %v, want true true 90 false", repo.Trusted, repo.CancelPush, repo.Timeout, repo.Protected)
	}
	md := eval[string](t, ctx, `document.getElementById('badge-md').value`)
	if want := h.URL + "/api/badges/Codertocat/dag/status.svg"; !strings.Contains(md, want) {
		t.Errorf("badge snippet: got %q, want it to contain %s", md, want)
	}
	screenshot(t, ctx, "settings")
}

func webPhoneAndKeyboard(t *testing.T, h *coreHangar, ctx context.Context) {
	do(t, ctx,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
		chromedp.Navigate(h.URL+"/Codertocat/dag/1"),
	)
	waitFor(t, ctx, "three stages drawn", `document.querySelectorAll('#graph a.node').length === 3`)
	if w := eval[int](t, ctx, `document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("page width on a phone: got %d px, want ≤ 390 (no sideways scrolling)", w)
	}
	// Tab to the "test" stage and open it with Enter.
	for i := 0; i < 40; i++ {
		if eval[bool](t, ctx, `(document.activeElement.dataset || {}).stage === 'test'`) {
			break
		}
		do(t, ctx, chromedp.KeyEvent("\t"))
	}
	if !eval[bool](t, ctx, `(document.activeElement.dataset || {}).stage === 'test'`) {
		t.Fatalf("the test stage was not reached with Tab; focus is on %s", eval[string](t, ctx, `document.activeElement.outerHTML.slice(0, 200)`))
	}
	do(t, ctx, chromedp.KeyEvent("\r"))
	waitFor(t, ctx, "the test stage selected", `location.pathname === '/Codertocat/dag/1/2/1' && document.getElementById('stage-h').textContent === 'Stage test'`)
	screenshot(t, ctx, "build-page-phone")
}

// webLogViewer gives the page's own log viewer 100,000 lines (the stored
// log of a step has this shape: {pos, out, time}) and checks it stays
// virtualised, jumps to a line link and finds a match.
func webLogViewer(t *testing.T, h *coreHangar, ctx context.Context) {
	do(t, ctx, chromedp.Navigate(h.URL+"/Codertocat/dag/1#L99999"))
	waitFor(t, ctx, "the build page", `window.HangarLog && document.querySelectorAll('#graph a.node').length === 3`)
	stats := eval[map[string]float64](t, ctx, `(() => {
		const el = document.createElement('div');
		el.className = 'logview';
		el.id = 'big-log';
		document.getElementById('main').append(el);
		const v = new HangarLog.LogView(el);
		window.bigLog = v;
		const lines = Array.from({length: 100000}, (_, i) => ({pos: i, out: 'line ' + (i + 1) + ' of the build\n', time: Math.floor(i / 1000)}));
		const t0 = performance.now();
		v.set(lines);
		v.draw();
		const shown = performance.now() - t0;
		const s0 = performance.now();
		const hits = v.search('77777');
		v.step(1);
		return {shown, search: performance.now() - s0, hits, rows: el.querySelectorAll('.ln').length, height: el.querySelector('.spacer').offsetHeight};
	})()`)
	t.Logf("100,000 lines: drawn in %.1f ms with %v rows in the DOM, searched in %.1f ms", stats["shown"], stats["rows"], stats["search"])
	if stats["rows"] > 500 || stats["height"] != 100000*18 || stats["hits"] != 1 {
		t.Errorf("log view: got %v DOM rows, %v px, %v matches; want at most 500 rows (virtualised) over 1800000 px and 1 match", stats["rows"], stats["height"], stats["hits"])
	}
	waitFor(t, ctx, "the match in view and marked", `document.querySelector('#big-log #L77777.cur') && document.getElementById('big-log').scrollTop > 0`)
	// A line link (#L99999 in the address) scrolls to it and marks it.
	waitFor(t, ctx, "line 99999 targeted", `(() => { bigLog.goto(99999); const l = document.querySelector('#big-log #L99999'); return l && l.classList.contains('target'); })()`)
	click(t, ctx, `#big-log a[data-line="99998"]`)
	waitFor(t, ctx, "the clicked line link", `location.hash === '#L99998' && document.querySelector('#big-log #L99998').classList.contains('target')`)
	elapsed := eval[string](t, ctx, `document.querySelector('#big-log #L99998 .t').textContent`)
	if elapsed != "1:39" {
		t.Errorf("elapsed time of line 99998 (99 s): got %q, want 1:39", elapsed)
	}
}
