package core

import (
	"io"
	"net/http"
	"regexp"
	"testing"

	"github.com/hangar-ci/hangar/services/core/coretest"
	"github.com/hangar-ci/hangar/services/core/web"
)

var csrfMeta = regexp.MustCompile(`<meta name="csrf-token" content="([^"]*)">`)

// pageToken reads the CSRF token from a page, as the pages' script does.
func pageToken(t *testing.T, b *http.Client, base string) string {
	t.Helper()
	res, err := b.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	m := csrfMeta.FindSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF token in the page:\n%s", body)
	}
	return string(m[1])
}

// TestSessionCSRF checks that a signed-in browser's unsafe API calls need
// the pages' CSRF token, and that its reads and token callers do not.
func TestSessionCSRF(t *testing.T) {
	t.Parallel()
	s := newLoginServer(t, "github", nil)
	s.SCM.AddAccount(coretest.Account{Login: "alice", Email: "alice@example.com"})
	b := browser(t)
	if code, u := s.signIn(t, b, "alice", "github"); code != 200 || u["login"] != "alice" {
		t.Fatalf("sign in: got %d %v", code, u)
	}
	tok := pageToken(t, b, s.URL)
	if tok == "" {
		t.Fatal("a signed-in page has an empty CSRF token")
	}
	call := func(method, path, token string) int {
		t.Helper()
		req, _ := http.NewRequest(method, s.URL+path, nil)
		if token != "" {
			req.Header.Set(web.CSRFHeader, token)
		}
		res, err := b.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	tests := []struct {
		name, method, path, token string
		want                      int
	}{
		{"read without token", "GET", "/api/user", "", 200},
		{"sync without CSRF token", "POST", "/api/user/repos", "", 403},
		{"sync with a wrong CSRF token", "POST", "/api/user/repos", "x" + tok, 403},
		{"sync with the page's CSRF token", "POST", "/api/user/repos", tok, 200},
	}
	for _, tc := range tests {
		if got := call(tc.method, tc.path, tc.token); got != tc.want {
			t.Errorf("%s: got %d, want %d", tc.name, got, tc.want)
		}
	}
}
