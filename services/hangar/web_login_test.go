package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hangar-ci/hangar/services/core/coretest"
	"github.com/hangar-ci/hangar/shared/sqldb"
)

// TestWebLogin signs in through the OAuth fake of GitHub in headless
// Chromium: the session cookie then carries every call, and unsafe ones
// only with the page's CSRF token.
func TestWebLogin(t *testing.T) {
	fake := coretest.NewGitHubOAuth(t)
	fake.AddAccount(coretest.Account{Login: "octocat", Email: "octocat@example.com", Access: map[string]string{"Codertocat/dag": "admin"}})
	fake.SignIn("octocat")
	h := startCoreWith(t, sqldb.SQLite, map[string]string{
		"DRONE_GITHUB_CLIENT_ID": fake.ClientID, "DRONE_GITHUB_CLIENT_SECRET": fake.Secret,
		"DRONE_DATABASE_SECRET": "web-test-database-secret-0123456789", "DRONE_COOKIE_SECRET": "web-test-cookie-secret-0123",
		"DRONE_CRON_INTERVAL": "0",
	}, coreServices(), func(h *coreHangar, _, _ string, env map[string]string) {
		// The OAuth callback must come back to this server.
		env["DRONE_SERVER_HOST"], env["DRONE_SERVER_PROTO"] = strings.TrimPrefix(h.URL, "http://"), "http"
		env["HANGAR_GITHUB_URL"] = fake.ServerURL
	})
	h.activate("github", "Codertocat/dag", nil)
	n := h.push(t, "dag")
	ctx := tab(t, startBrowser(t))

	do(t, ctx, chromedp.Navigate(h.URL+"/"))
	waitFor(t, ctx, "the sign-in box", `!document.getElementById('signin').hidden`)
	click(t, ctx, `#signin a[href="/login"]`)
	waitFor(t, ctx, "signed in", `location.pathname === '/' && document.getElementById('signin').hidden && document.getElementById('user').textContent.includes('octocat')`)
	click(t, ctx, "#sync")
	waitFor(t, ctx, "the repositories of the signed-in user", `location.pathname === '/' && document.querySelector('#repos li[data-slug="Codertocat/dag"]') && document.getElementById('signin').hidden`)
	if got := eval[string](t, ctx, `document.getElementById('user').textContent`); !strings.Contains(got, "octocat") {
		t.Errorf("user box: got %q, want octocat", got)
	}
	if tok := eval[string](t, ctx, `document.querySelector('meta[name=csrf-token]').content`); tok == "" {
		t.Fatal("the page of a signed-in user has no CSRF token")
	}
	screenshot(t, ctx, "repositories")

	build := fmt.Sprintf("/api/repos/Codertocat/dag/builds/%d", n)
	// Without the token the cookie is not enough for a POST; with it, it is.
	status := func(withToken bool) int {
		t.Helper()
		hdr := `{}`
		if withToken {
			hdr = `{'X-CSRF-Token': document.querySelector('meta[name=csrf-token]').content}`
		}
		return eval[int](t, ctx, fmt.Sprintf(`fetch(%q, {method: 'DELETE', credentials: 'same-origin', headers: %s}).then(r => r.status)`, build, hdr))
	}
	if got := status(false); got != http.StatusForbidden {
		t.Errorf("DELETE with the session cookie and no CSRF token: got %d, want 403", got)
	}
	if b := h.build("Codertocat/dag", n); b.Status != "pending" {
		t.Fatalf("build after a refused cancel: got %s, want pending", b.Status)
	}
	do(t, ctx, chromedp.Navigate(fmt.Sprintf("%s/Codertocat/dag/%d", h.URL, n)))
	waitFor(t, ctx, "the cancel button", `document.getElementById('cancel')`)
	click(t, ctx, "#cancel")
	waitFor(t, ctx, "the build killed", `document.querySelector('#build-head .status').textContent === 'killed'`)
	if b := h.build("Codertocat/dag", n); b.Status != "killed" {
		t.Errorf("build after the page's cancel: got %s, want killed", b.Status)
	}

	// A user who may only read sees the build but no button the API
	// would refuse them, and the settings read-only.
	fake.AddAccount(coretest.Account{Login: "reader", Email: "reader@example.com", Access: map[string]string{"Codertocat/dag": "pull"}})
	fake.SignIn("reader")
	other := h.push(t, "dag")
	rctx := tab(t, startBrowser(t)) // its own profile, so its own session
	do(t, rctx, chromedp.Navigate(h.URL+"/login"))
	waitFor(t, rctx, "the reader signed in", `location.pathname === '/' && document.getElementById('user').textContent.includes('reader')`)
	click(t, rctx, "#sync")
	waitFor(t, rctx, "the repository listed", `document.querySelector('#repos li[data-slug="Codertocat/dag"]')`)
	do(t, rctx, chromedp.Navigate(fmt.Sprintf("%s/Codertocat/dag/%d", h.URL, other)))
	waitFor(t, rctx, "the build shown", `document.querySelectorAll('#graph a.node').length === 3`)
	if n := count(t, rctx, "#actions button"); n != 0 {
		t.Errorf("buttons for a reader: got %d, want none", n)
	}
	do(t, rctx, chromedp.Navigate(h.URL+"/Codertocat/dag/settings"))
	waitFor(t, rctx, "the settings read-only", `document.querySelector('#settings-form button').disabled && document.querySelector('#settings-form [name=trusted]').disabled`)
}
