package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestProtect(t *testing.T) {
	t.Parallel()
	reached := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	h := Protect("", reached)
	session := &http.Cookie{Name: DefaultSessionCookie, Value: "42:1999999999.signature"}
	good := tokenFor(session.Value)
	tests := []struct {
		name    string
		method  string
		target  string
		cookie  *http.Cookie
		headers map[string]string
		want    int
	}{
		{"GET with the cookie needs no token", "GET", "/api/repos/a/b", session, nil, http.StatusTeapot},
		{"POST with the cookie and the token", "POST", "/api/repos/a/b/builds", session, map[string]string{CSRFHeader: good}, http.StatusTeapot},
		{"DELETE with the cookie and the token", "DELETE", "/api/repos/a/b/builds/1", session, map[string]string{CSRFHeader: good}, http.StatusTeapot},
		{"POST with the cookie, no token", "POST", "/api/repos/a/b/builds", session, nil, http.StatusForbidden},
		{"PATCH with the cookie, wrong token", "PATCH", "/api/repos/a/b", session, map[string]string{CSRFHeader: tokenFor("other")}, http.StatusForbidden},
		{"PUT with the cookie, token of another session", "PUT", "/api/x", &http.Cookie{Name: DefaultSessionCookie, Value: "7:1999999999.sig"}, map[string]string{CSRFHeader: good}, http.StatusForbidden},
		{"POST with a bearer token and the cookie", "POST", "/api/repos/a/b/builds", session, map[string]string{"Authorization": "Bearer abc"}, http.StatusTeapot},
		{"POST with ?access_token= and the cookie", "POST", "/api/repos/a/b/builds?access_token=abc", session, nil, http.StatusTeapot},
		{"empty ?access_token= falls back to the cookie", "POST", "/api/repos/a/b/builds?access_token=", session, nil, http.StatusForbidden},
		{"empty bearer falls back to the cookie", "POST", "/api/repos/a/b/builds", session, map[string]string{"Authorization": "Bearer "}, http.StatusForbidden},
		{"POST without any cookie is anonymous", "POST", "/hook", nil, nil, http.StatusTeapot},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(tc.method, tc.target, nil)
			if tc.cookie != nil {
				r.AddCookie(tc.cookie)
			}
			for k, v := range tc.headers {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.want {
				t.Errorf("got %d, want %d", w.Code, tc.want)
			}
		})
	}
}

// TestPageCarriesToken checks the page's token is the one Protect wants,
// and that no session means no token.
func TestPageCarriesToken(t *testing.T) {
	t.Parallel()
	h := New(Options{})
	session := &http.Cookie{Name: DefaultSessionCookie, Value: "42:1999999999.signature"}
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(session)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	want := `<meta name="csrf-token" content="` + tokenFor(session.Value) + `">`
	if got := w.Body.String(); !strings.Contains(got, want) {
		t.Errorf("page: got no %s", want)
	}
	if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control of a page with a token: got %q, want no-store", cc)
	}
	anon := get(h, "GET", "/", nil)
	if !strings.Contains(anon.Body.String(), `<meta name="csrf-token" content="">`) {
		t.Errorf("anonymous page: want an empty token")
	}
}
