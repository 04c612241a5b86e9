package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// updateShots rewrites the reviewed screenshots in testdata/screenshots
// (shown by the README) from this run.
var updateShots = flag.Bool("update", false, "rewrite testdata/screenshots from the browser tests")

// chromiumPath finds Debian's Chromium; scripts/test-deps installs it.
func chromiumPath(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("chromium is not installed: run scripts/test-deps (apt-get install chromium)")
	return ""
}

// startBrowser runs headless Chromium with a fresh profile and no
// background traffic (the machine has no internet) and returns the
// browser's context; each test opens its own tab from it.
func startBrowser(t testing.TB) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("starting chromium: %v", err)
	}
	return ctx
}

// tab opens a new tab with a deadline.
func tab(t testing.TB, browser context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() {
		cancelTimeout()
		cancel()
	})
	return ctx
}

// do runs browser actions and fails the test on an error.
func do(t testing.TB, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("browser: %v", err)
	}
}

// click clicks the element sel selects. Live pages re-render what they
// show, so the node found can be replaced before the mouse reaches it: the
// click is then tried again on the new node (no mouse event was sent).
func click(t testing.TB, ctx context.Context, sel string) {
	t.Helper()
	var err error
	for range 10 {
		if err = chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel))); err == nil {
			return
		}
		if msg := err.Error(); !strings.Contains(msg, "Could not find node") && !strings.Contains(msg, "detached") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("browser: clicking %s: %v", sel, err)
}

// eval evaluates a JavaScript expression (a promise is awaited) and
// decodes its value.
func eval[T any](t testing.TB, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// waitFor waits until expr is truthy in the page; what names it in the
// failure.
// A navigation during the wait (a click that loads a page) restarts it.
func waitFor(t testing.TB, ctx context.Context, what, expr string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var err error
	for time.Now().Before(deadline) {
		_, err = chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(time.Until(deadline)), chromedp.WithPollingInterval(50*time.Millisecond)))
		if err == nil || !navigated(err) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText.slice(0, 2000) : ''`))
		t.Fatalf("waiting for %s (%s): %v\npage text:\n%s", what, expr, err, body)
	}
}

// signIn opens the site and signs in with the API token through the
// pages' sign-in form.
func signIn(t testing.TB, ctx context.Context, base string) {
	t.Helper()
	do(t, ctx, chromedp.Navigate(base+"/"))
	waitFor(t, ctx, "the sign-in box", `!document.getElementById('signin').hidden`)
	do(t, ctx,
		chromedp.SendKeys(chromedp.CSS("#token"), coreToken),
		chromedp.Click(chromedp.CSS("#token-form button")),
	)
	waitFor(t, ctx, "the repository list", `document.querySelectorAll('#repos li[data-slug]').length > 0 || document.querySelector('#repos li.empty')`)
}

// clearCache empties the browser's cache so a page's weight counts every
// asset.
func clearCache(t testing.TB, ctx context.Context) {
	t.Helper()
	do(t, ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, network.ClearBrowserCache, cdp.Empty{})
		return err
	}))
}

// screenshot saves the page under the test's temporary directory and,
// with -update, as testdata/screenshots/<name>.png.
func screenshot(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	p := filepath.Join(t.TempDir(), name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s (%d bytes)", p, len(png))
	if *updateShots {
		dst := filepath.Join("testdata", "screenshots", name+".png")
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("updated %s", dst)
	}
}

// pageWeight is what the browser measured of a page load (Performance API).
type pageWeight struct {
	Transfer    int     `json:"transfer"`    // bytes over the wire: document + every resource
	Decoded     int     `json:"decoded"`     // bytes after decompression
	Resources   int     `json:"resources"`   // resource entries (assets and API calls)
	FirstRender float64 `json:"firstRender"` // ms from navigation start to the build drawn with its data
	DOMReady    float64 `json:"domReady"`    // ms to DOMContentLoaded
	FCP         float64 `json:"fcp"`         // ms to first contentful paint
}

func (p pageWeight) String() string {
	b, _ := json.Marshal(p)
	return string(b)
}

const pageWeightJS = `(() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const res = performance.getEntriesByType('resource');
  const fr = performance.getEntriesByName('hangar:first-render')[0];
  const fcp = performance.getEntriesByName('first-contentful-paint')[0];
  return {
    transfer: nav.transferSize + res.reduce((a, r) => a + r.transferSize, 0),
    decoded: nav.decodedBodySize + res.reduce((a, r) => a + r.decodedBodySize, 0),
    resources: res.length,
    firstRender: fr ? fr.startTime : -1,
    domReady: nav.domContentLoadedEventEnd,
    fcp: fcp ? fcp.startTime : -1,
  };
})()`

// count returns how many elements match a CSS selector.
func count(t testing.TB, ctx context.Context, sel string) int {
	t.Helper()
	return eval[int](t, ctx, fmt.Sprintf(`document.querySelectorAll(%q).length`, sel))
}

// navigated reports whether err comes from the page changing under a
// running script.
func navigated(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "navigated or closed") || strings.Contains(msg, "Cannot find context") || strings.Contains(msg, "Execution context was destroyed")
}
