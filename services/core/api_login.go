package core

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"github.com/hangar-ci/hangar/services/core/auth"
	"github.com/hangar-ci/hangar/services/core/login"
	"github.com/hangar-ci/hangar/shared/httperr"
)

// initLogin sets up the OAuth2 providers configured and, with them,
// permissions synced from the SCM with each user's own token.
func (s *service) initLogin() {
	o := s.opts
	link := o.ServerProto + "://" + o.ServerHost
	providers := map[string]login.Provider{}
	if o.Auth.GitHubClientID != "" {
		providers["github"] = login.NewGitHub(o.GitHubURL, o.Auth.GitHubClientID, o.Auth.GitHubClientSecret, link+"/login/github")
	}
	if o.Auth.GitLabClientID != "" {
		providers["gitlab"] = login.NewGitLab(o.GitLabURL, o.Auth.GitLabClientID, o.Auth.GitLabClientSecret, link+"/login/gitlab")
	}
	if len(providers) == 0 {
		return
	}
	hc := &http.Client{Timeout: o.SCMTimeout, Transport: newHTTPClient().Transport}
	s.tokens = &login.Tokens{Providers: providers, Users: s.db, Seal: s.seal, HTTP: hc}
	s.perms.Source = login.PermSource{Tokens: s.tokens}
}

// cookieSecret is DRONE_COOKIE_SECRET or, unset, a random one: sessions
// then last as long as the process and do not cross replicas.
func cookieSecret(configured string) string {
	if configured != "" {
		return configured
	}
	var b [32]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// loginRoutes serves /login/{provider}, /login (the first configured
// provider, GitHub before GitLab) and /logout.
func (s *service) loginRoutes(mux *http.ServeMux) {
	if s.tokens == nil {
		mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
			httperr.Write(w, r, httperr.New(httperr.NotFound, "no login configured: set DRONE_GITHUB_CLIENT_ID or DRONE_GITLAB_CLIENT_ID"))
		})
		return
	}
	h := &login.Handler{Tokens: s.tokens, Sessions: s.authn.Sessions, Filter: s.opts.Auth.UserFilter,
		Closed: s.opts.Auth.RegistrationClosed, Log: s.log, Now: time.Now}
	mux.Handle("GET /login/{provider}", h)
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		kind := "github"
		if _, ok := s.tokens.Providers[kind]; !ok {
			kind = "gitlab"
		}
		target := "/login/" + kind
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
	})
	mux.HandleFunc("GET /logout", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: auth.CookieName, Path: "/", MaxAge: -1})
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
}

// githubAPI is the API root for DRONE_GITHUB_SERVER/HANGAR_GITHUB_URL:
// Drone's usual https://github.com means the public API (go-github's
// default, ""), anything else an Enterprise server.
func githubAPI(server string) string {
	switch strings.TrimSuffix(server, "/") {
	case "https://github.com", "https://api.github.com":
		return ""
	}
	return server
}
