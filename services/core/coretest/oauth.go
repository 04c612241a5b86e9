package coretest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// Account is a person on the fake SCM: who signs in, their organisations
// (GitHub) or groups (GitLab), and their access per repository slug
// ("pull", "push" or "admin").
type Account struct {
	Login, Email string
	Orgs         []string
	Access       map[string]string
}

// Hook is a webhook on the fake.
type Hook struct {
	ID                int
	Slug, URL, Secret string
}

// OAuth is a fake GitHub or GitLab answering the OAuth2 web flow
// (authorize, token exchange and, on GitLab, refresh) and the REST calls
// made with a user's token: the user, their organisations, a
// repository's permissions and webhook creation. Tokens it issues expire
// after ExpiresIn seconds on GitLab, as GitLab's do (two hours there).
type OAuth struct {
	*httptest.Server
	// Server is the web address to configure (DRONE_GITHUB_SERVER /
	// DRONE_GITLAB_SERVER).
	ServerURL string
	ClientID  string
	Secret    string
	ExpiresIn int

	kind     string
	mu       sync.Mutex
	accounts map[string]*Account // by login
	codes    map[string]string   // code -> login
	tokens   map[string]string   // access token -> login
	refresh  map[string]string   // refresh token -> login
	next     string
	hooks    []Hook // current
	hookIDs  int    // hooks ever created
	issued   int
}

// NewGitHubOAuth starts a fake GitHub (API under /api/v3, as Enterprise).
func NewGitHubOAuth(t testing.TB) *OAuth { return newOAuth(t, "github") }

// NewGitLabOAuth starts a fake GitLab (API under /api/v4).
func NewGitLabOAuth(t testing.TB) *OAuth { return newOAuth(t, "gitlab") }

// AddAccount registers a person.
func (o *OAuth) AddAccount(a Account) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.accounts[a.Login] = &a
}

// SignIn makes login the person who approves the next authorization.
func (o *OAuth) SignIn(login string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.next = login
}

// Hooks returns the webhooks there are now.
func (o *OAuth) Hooks() []Hook {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]Hook(nil), o.hooks...)
}

// Issued counts the access tokens handed out (exchanges and refreshes).
func (o *OAuth) Issued() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.issued
}

// ExpireTokens forgets every access token, as if they all expired.
func (o *OAuth) ExpireTokens() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.tokens = map[string]string{}
}

func newOAuth(t testing.TB, kind string) *OAuth {
	o := &OAuth{kind: kind, ClientID: kind + "-client-id", Secret: kind + "-client-secret", accounts: map[string]*Account{},
		codes: map[string]string{}, tokens: map[string]string{}, refresh: map[string]string{}}
	if kind == "gitlab" {
		o.ExpiresIn = 7200
	}
	mux := http.NewServeMux()
	authorize, token, api := "/login/oauth/authorize", "/login/oauth/access_token", "/api/v3/"
	if kind == "gitlab" {
		authorize, token, api = "/oauth/authorize", "/oauth/token", "/api/v4/"
	}
	mux.HandleFunc("GET "+authorize, o.authorize)
	mux.HandleFunc("POST "+token, o.token)
	mux.HandleFunc(api, func(w http.ResponseWriter, r *http.Request) {
		a := o.caller(r)
		if a == nil {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Bad credentials"})
			return
		}
		o.api(w, r, a, strings.TrimPrefix(r.URL.EscapedPath(), api))
	})
	o.Server = httptest.NewServer(mux)
	o.ServerURL = o.URL
	t.Cleanup(o.Close)
	return o
}

// authorize approves at once for the signed-in person, as a browser
// session that already granted the application would.
func (o *OAuth) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != o.ClientID || q.Get("response_type") != "code" {
		http.Error(w, "unknown application", http.StatusBadRequest)
		return
	}
	o.mu.Lock()
	o.issued++
	code := fmt.Sprintf("code-%d", o.issued)
	o.codes[code] = o.next
	o.mu.Unlock()
	back, err := url.Parse(q.Get("redirect_uri"))
	if err != nil {
		http.Error(w, "bad redirect_uri", http.StatusBadRequest)
		return
	}
	v := back.Query()
	v.Set("code", code)
	v.Set("state", q.Get("state"))
	back.RawQuery = v.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

// token exchanges a code (or, on GitLab, a refresh token) for tokens.
func (o *OAuth) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("client_id") != o.ClientID || r.PostForm.Get("client_secret") != o.Secret {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	var login string
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		login = o.codes[r.PostForm.Get("code")]
		delete(o.codes, r.PostForm.Get("code"))
	case "refresh_token":
		login = o.refresh[r.PostForm.Get("refresh_token")]
		delete(o.refresh, r.PostForm.Get("refresh_token"))
	}
	if login == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
		return
	}
	o.issued++
	access, refresh := fmt.Sprintf("%s-access-%d", o.kind, o.issued), fmt.Sprintf("%s-refresh-%d", o.kind, o.issued)
	o.tokens[access] = login
	if o.kind == "github" {
		// GitHub answers form-encoded unless asked for JSON.
		w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
		fmt.Fprintf(w, "access_token=%s&scope=repo%%2Cuser%%3Aemail%%2Cread%%3Aorg&token_type=bearer", access)
		return
	}
	o.refresh[refresh] = login
	writeJSON(w, http.StatusOK, map[string]any{"access_token": access, "token_type": "Bearer", "expires_in": o.ExpiresIn,
		"refresh_token": refresh, "scope": "api", "created_at": 1700000000})
}

func (o *OAuth) caller(r *http.Request) *Account {
	h := r.Header.Get("Authorization")
	tok := strings.TrimPrefix(strings.TrimPrefix(h, "Bearer "), "token ")
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.accounts[o.tokens[tok]]
}

// levels are the access strings in GitLab's access levels.
var levels = map[string]int{"pull": 20, "push": 30, "admin": 40}

func (o *OAuth) api(w http.ResponseWriter, r *http.Request, a *Account, path string) {
	switch {
	case r.Method == http.MethodGet && path == "user":
		if o.kind == "github" {
			writeJSON(w, http.StatusOK, map[string]any{"login": a.Login, "id": 1, "email": a.Email, "avatar_url": "https://avatars.example/" + a.Login, "type": "User"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"id": 1, "username": a.Login, "email": a.Email, "avatar_url": "https://avatars.example/" + a.Login, "state": "active"})
	case r.Method == http.MethodGet && (path == "user/orgs" || path == "groups"):
		out := []map[string]any{}
		for _, org := range a.Orgs {
			if o.kind == "github" {
				out = append(out, map[string]any{"login": org})
			} else {
				out = append(out, map[string]any{"full_path": org, "path": org[strings.LastIndexByte(org, '/')+1:]})
			}
		}
		writeJSON(w, http.StatusOK, out)
	case r.Method == http.MethodGet && (path == "user/repos" || path == "projects"):
		o.listRepos(w, r, a)
	default:
		o.repoAPI(w, r, a, path)
	}
}

// listRepos answers GET user/repos (GitHub) or projects?membership=true
// (GitLab): the caller's repositories, one page.
func (o *OAuth) listRepos(w http.ResponseWriter, r *http.Request, a *Account) {
	if r.URL.Query().Get("page") != "1" {
		writeJSON(w, http.StatusOK, []any{})
		return
	}
	out := []map[string]any{}
	for slug, access := range a.Access {
		ns, name := slug[:strings.LastIndexByte(slug, '/')], slug[strings.LastIndexByte(slug, '/')+1:]
		if o.kind == "github" {
			out = append(out, map[string]any{"name": name, "full_name": slug, "owner": map[string]string{"login": ns}, "private": true,
				"visibility": "private", "html_url": "https://github.example/" + slug, "clone_url": "https://github.example/" + slug + ".git",
				"ssh_url": "git@github.example:" + slug + ".git", "default_branch": "main",
				"permissions": map[string]bool{"admin": access == "admin", "push": access != "pull", "pull": true}})
			continue
		}
		out = append(out, map[string]any{"path": name, "path_with_namespace": slug, "visibility": "private", "web_url": "https://gitlab.example/" + slug,
			"http_url_to_repo": "https://gitlab.example/" + slug + ".git", "ssh_url_to_repo": "git@gitlab.example:" + slug + ".git",
			"default_branch": "main", "permissions": map[string]any{"project_access": map[string]int{"access_level": levels[access]}, "group_access": nil}})
	}
	writeJSON(w, http.StatusOK, out)
}

// repoAPI answers GET repos/{o}/{n} (GitHub) or projects/{id} (GitLab)
// with the caller's permission, and POST …/hooks.
func (o *OAuth) repoAPI(w http.ResponseWriter, r *http.Request, a *Account, path string) {
	var slug, rest string
	if o.kind == "github" {
		parts := strings.SplitN(strings.TrimPrefix(path, "repos/"), "/", 3)
		if len(parts) < 2 || !strings.HasPrefix(path, "repos/") {
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
			return
		}
		slug = parts[0] + "/" + parts[1]
		if len(parts) == 3 {
			rest = parts[2]
		}
	} else {
		id, after, _ := strings.Cut(strings.TrimPrefix(path, "projects/"), "/")
		slug, _ = url.PathUnescape(id)
		rest = after
	}
	access, ok := a.Access[slug]
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Project Not Found"})
		return
	}
	switch {
	case r.Method == http.MethodGet && rest == "":
		if o.kind == "github" {
			writeJSON(w, http.StatusOK, map[string]any{"full_name": slug, "private": true, "permissions": map[string]bool{
				"admin": access == "admin", "push": access != "pull", "pull": true}})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"path_with_namespace": slug, "visibility": "private",
			"permissions": map[string]any{"project_access": map[string]int{"access_level": levels[access]}, "group_access": nil}})
	case r.Method == http.MethodGet && rest == "hooks":
		o.mu.Lock()
		out := []map[string]any{}
		for _, h := range o.hooks {
			if h.Slug != slug {
				continue
			}
			if o.kind == "github" {
				out = append(out, map[string]any{"id": h.ID, "name": "web", "active": true, "config": map[string]string{"url": h.URL, "content_type": "json"}})
			} else {
				out = append(out, map[string]any{"id": h.ID, "url": h.URL, "push_events": true})
			}
		}
		o.mu.Unlock()
		writeJSON(w, http.StatusOK, out)
	case r.Method == http.MethodDelete && strings.HasPrefix(rest, "hooks/"):
		o.mu.Lock()
		defer o.mu.Unlock()
		for i, h := range o.hooks {
			if h.Slug == slug && fmt.Sprint(h.ID) == strings.TrimPrefix(rest, "hooks/") {
				o.hooks = append(o.hooks[:i], o.hooks[i+1:]...)
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
	case r.Method == http.MethodPost && rest == "hooks":
		if access != "admin" {
			writeJSON(w, http.StatusForbidden, map[string]string{"message": "403 Forbidden"})
			return
		}
		var in struct {
			URL    string            `json:"url"`
			Token  string            `json:"token"`
			Config map[string]string `json:"config"`
		}
		if err := decodeJSON(r, &in); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"message": "Problems parsing JSON"})
			return
		}
		h := Hook{Slug: slug, URL: in.URL, Secret: in.Token}
		if o.kind == "github" {
			h.URL, h.Secret = in.Config["url"], in.Config["secret"]
		}
		o.mu.Lock()
		o.hookIDs++
		h.ID = o.hookIDs
		o.hooks = append(o.hooks, h)
		o.mu.Unlock()
		writeJSON(w, http.StatusCreated, map[string]any{"id": h.ID, "url": h.URL})
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
	}
}

func decodeJSON(r *http.Request, v any) error {
	return json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(v)
}
