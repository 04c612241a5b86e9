package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
)

// DefaultSessionCookie is the name of Drone's browser session cookie.
const DefaultSessionCookie = "_session_"

// CSRFHeader carries the CSRF token on the API calls the pages make.
const CSRFHeader = "X-CSRF-Token"

// The CSRF scheme, self-contained and stateless:
//
//   - The token is HMAC-SHA256 keyed with the session cookie's value over a
//     fixed label. Only someone who can read the cookie (the server, which
//     receives it) can compute it; another site cannot read the HttpOnly
//     cookie, nor the page the token is written into. Every replica
//     computes the same token without a shared table or key, and a new
//     session (login, logout) changes it.
//   - Each page carries its token in <meta name="csrf-token">; the
//     script sends it as X-CSRF-Token on every POST, PUT, PATCH and
//     DELETE.
//   - Protect refuses, with 403 and before the API sees the request, an
//     unsafe request that would be authenticated by the session cookie and
//     lacks the right token. Requests that carry their own credentials (an
//     Authorization header or ?access_token=, as drone-cli, runners and
//     scripts do) need no token: a browser never adds those by itself.
//     Requests with no session cookie pass: they are anonymous to the API.
const csrfLabel = "hangar-csrf-v1"

// Token returns the CSRF token for the request's session cookie, or ""
// when it has none.
func Token(r *http.Request, cookie string) string {
	c, err := r.Cookie(cookie)
	if err != nil || c.Value == "" {
		return ""
	}
	return tokenFor(c.Value)
}

func tokenFor(session string) string {
	m := hmac.New(sha256.New, []byte(session))
	m.Write([]byte(csrfLabel))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Protect checks the CSRF token of unsafe, cookie-authenticated requests
// to next (see the scheme above); cookie is the session cookie's name.
func Protect(cookie string, next http.Handler) http.Handler {
	if cookie == "" {
		cookie = DefaultSessionCookie
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			next.ServeHTTP(w, r)
			return
		}
		if ownCredentials(r) {
			next.ServeHTTP(w, r)
			return
		}
		want := Token(r, cookie)
		if want != "" && !hmac.Equal([]byte(r.Header.Get(CSRFHeader)), []byte(want)) {
			http.Error(w, "CSRF token missing or wrong: reload the page", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// ownCredentials reports whether the request names a non-empty token: an
// empty one would let the API fall back to the session cookie.
func ownCredentials(r *http.Request) bool {
	bearer, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return strings.TrimSpace(bearer) != "" || r.URL.Query().Get("access_token") != ""
}
