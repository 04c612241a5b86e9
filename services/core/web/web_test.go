package web

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRoute(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path string
		ok   bool
		want view
	}{
		{"/", true, view{Kind: "repos", Title: "Repositories"}},
		{"/octo/hello", true, view{Kind: "builds", Owner: "octo", Name: "hello", Title: "octo/hello"}},
		{"/octo/hello/settings", true, view{Kind: "settings", Owner: "octo", Name: "hello", Title: "Settings · octo/hello"}},
		{"/octo/hello/12", true, view{Kind: "build", Owner: "octo", Name: "hello", Build: 12, Title: "octo/hello #12"}},
		{"/octo/hello/12/2/3", true, view{Kind: "build", Owner: "octo", Name: "hello", Build: 12, Stage: 2, Step: 3, Title: "octo/hello #12"}},
		{"/my-org/my.repo_1", true, view{Kind: "builds", Owner: "my-org", Name: "my.repo_1", Title: "my-org/my.repo_1"}},
		{"/octo", false, view{}},
		{"/octo/hello/0", false, view{}},
		{"/octo/hello/12/0/1", false, view{}},
		{"/octo/hello/12/2", false, view{}},
		{"/octo/hello/abc", false, view{}},
		{"/octo/hello/12/2/3/4", false, view{}},
		{"/-x/hello", false, view{}},
		{"/octo/<script>", false, view{}},
		{"/octo//12", false, view{}},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			t.Parallel()
			got, ok := route(tc.path)
			if ok != tc.ok || got != tc.want {
				t.Errorf("route(%q): got %+v %v, want %+v %v", tc.path, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func get(h http.Handler, method, target string, hdr map[string]string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, nil)
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestPages(t *testing.T) {
	t.Parallel()
	h := New(Options{})
	tests := []struct {
		name, method, path string
		wantStatus         int
		wantBody           []string
	}{
		{"repositories", "GET", "/", 200, []string{`data-view="repos"`, `id="repos"`, `/-/app.js?v=`}},
		{"builds with filters kept", "GET", "/octo/hello?branch=feat%2Fx&event=push&page=2", 200, []string{`data-view="builds"`, `name="branch" value="feat/x"`, `<option value="push" selected>`, `id="newer"`, `page=1`, `page=3`}},
		{"build page loads its scripts", "GET", "/octo/hello/7/1/2", 200, []string{`data-build="7"`, `data-stage="1"`, `data-step="2"`, `/-/build.js?v=`, `/-/log.js?v=`}},
		{"settings", "GET", "/octo/hello/settings", 200, []string{`data-view="settings"`, `id="secrets"`, `id="badge-md"`}},
		{"not a page", "GET", "/octo", 404, []string{`data-view="notfound"`}},
		{"HEAD has no body", "HEAD", "/", 200, nil},
		{"POST refused", "POST", "/octo/hello", 405, nil},
		{"unknown asset", "GET", "/-/nope.js", 404, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := get(h, tc.method, tc.path, nil)
			if w.Code != tc.wantStatus {
				t.Fatalf("status: got %d, want %d", w.Code, tc.wantStatus)
			}
			for _, s := range tc.wantBody {
				if !strings.Contains(w.Body.String(), s) {
					t.Errorf("body: got no %q in\n%s", s, w.Body)
				}
			}
			if tc.method == "HEAD" && w.Body.Len() != 0 {
				t.Errorf("HEAD body: got %d bytes, want none", w.Body.Len())
			}
		})
	}
}

func TestPageEscapesQuery(t *testing.T) {
	t.Parallel()
	w := get(New(Options{}), "GET", `/octo/hello?branch=%22%3E%3Cscript%3Ealert(1)%3C/script%3E`, nil)
	if strings.Contains(w.Body.String(), "<script>alert") {
		t.Fatalf("the branch filter reached the page unescaped:\n%s", w.Body)
	}
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("CSP: got %q, want script-src 'self'", csp)
	}
}

func TestAssets(t *testing.T) {
	t.Parallel()
	h := New(Options{})
	url := h.assetURL("app.js")
	plain := get(h, "GET", url, nil)
	if plain.Code != 200 || !strings.Contains(plain.Header().Get("Cache-Control"), "immutable") || plain.Header().Get("Content-Encoding") != "" {
		t.Fatalf("plain asset: got %d %q %q, want 200 immutable without encoding", plain.Code, plain.Header().Get("Cache-Control"), plain.Header().Get("Content-Encoding"))
	}
	zipped := get(h, "GET", url, map[string]string{"Accept-Encoding": "gzip, br"})
	if zipped.Header().Get("Content-Encoding") != "gzip" || zipped.Body.Len() >= plain.Body.Len() {
		t.Fatalf("gzip asset: got encoding %q, %d bytes of %d", zipped.Header().Get("Content-Encoding"), zipped.Body.Len(), plain.Body.Len())
	}
	zr, err := gzip.NewReader(zipped.Body)
	if err != nil {
		t.Fatal(err)
	}
	unzipped, _ := io.ReadAll(zr)
	if string(unzipped) != plain.Body.String() {
		t.Errorf("gzip asset does not decode to the plain one")
	}
	stale := get(h, "GET", "/-/app.js?v=old", nil)
	if got := stale.Header().Get("Cache-Control"); got != "no-cache" {
		t.Errorf("asset with a stale hash: Cache-Control got %q, want no-cache", got)
	}
	etag := plain.Header().Get("ETag")
	if w := get(h, "GET", url, map[string]string{"If-None-Match": etag}); w.Code != http.StatusNotModified {
		t.Errorf("revalidation: got %d, want 304", w.Code)
	}
	if w := get(h, "GET", url, map[string]string{"Accept-Encoding": "gzip;q=0"}); w.Header().Get("Content-Encoding") != "" {
		t.Errorf("gzip;q=0: got encoding %q, want none", w.Header().Get("Content-Encoding"))
	}
}

// TestAssetBudget keeps the build page's own files small: the page
// weight the browser test measures also counts the API's answers.
func TestAssetBudget(t *testing.T) {
	t.Parallel()
	h := New(Options{})
	total := 0
	for _, name := range []string{"app.js", "build.js", "log.js", "app.css", "favicon.svg"} {
		a, ok := h.assets[name]
		if !ok {
			t.Fatalf("asset %s missing", name)
		}
		n := len(a.body)
		if a.gz != nil {
			n = len(a.gz)
		}
		total += n
	}
	if total > 60<<10 {
		t.Errorf("build page assets: got %d bytes compressed, want under 60 KiB", total)
	}
}
