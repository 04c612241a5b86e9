package core

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/hangar-ci/hangar/services/core/coretest"
	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/services/core/store"
	"github.com/hangar-ci/hangar/services/core/web"
	"github.com/hangar-ci/hangar/shared/server"
	"github.com/hangar-ci/hangar/shared/sqldb"
)

// loginServer runs the core server against a fake SCM with login on.
type loginServer struct {
	URL   string
	SCM   *coretest.OAuth
	Store *store.Store
}

func newLoginServer(t *testing.T, kind string, env map[string]string) *loginServer {
	t.Helper()
	fake := coretest.NewGitHubOAuth(t)
	if kind == "gitlab" {
		fake = coretest.NewGitLabOAuth(t)
	}
	st, err := store.New(context.Background(), sqldb.TestDB(t, sqldb.SQLite))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{
		"HANGAR_API_TOKEN":      "tok",
		"DRONE_DATABASE_SECRET": "login-test-database-secret-0123456",
		"DRONE_COOKIE_SECRET":   "login-test-cookie-secret",
		"DRONE_SERVER_HOST":     ln.Addr().String(),
		"DRONE_CRON_INTERVAL":   "0",
	}
	up := strings.ToUpper(kind)
	vars["DRONE_"+up+"_SERVER"], vars["DRONE_"+up+"_CLIENT_ID"], vars["DRONE_"+up+"_CLIENT_SECRET"] = fake.ServerURL, fake.ClientID, fake.Secret
	if kind == "gitlab" {
		vars["HANGAR_GITLAB_TOKEN"] = "server-token"
	}
	for k, v := range env {
		vars[k] = v
	}
	opts, err := OptionsFromEnv(func(k string) (string, bool) { v, ok := vars[k]; return v, ok }, "")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := NewWithStore(opts, server.Env{}, st)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(svc.Handler)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return &loginServer{URL: srv.URL, SCM: fake, Store: st}
}

// browser is a client with a cookie jar that follows redirects.
func browser(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar}
}

// signIn runs the web flow as login and returns the final status and the
// user /api/user then shows (nil when not signed in).
func (s *loginServer) signIn(t *testing.T, b *http.Client, login, provider string) (int, map[string]any) {
	t.Helper()
	s.SCM.SignIn(login)
	res, err := b.Get(s.URL + "/login/" + provider)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	// The flow ends on / (no web page here: 404) once signed in.
	if res.Request.URL.Path != "/" {
		return res.StatusCode, map[string]any{"error": string(body)}
	}
	res, err = b.Get(s.URL + "/api/user")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var u map[string]any
	json.NewDecoder(res.Body).Decode(&u)
	return res.StatusCode, u
}

func TestLogin(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"github", "gitlab"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			s := newLoginServer(t, kind, map[string]string{"DRONE_USER_FILTER": "alice,acme/platform"})
			s.SCM.AddAccount(coretest.Account{Login: "alice", Email: "alice@example.com"})
			s.SCM.AddAccount(coretest.Account{Login: "bob", Orgs: []string{"acme/platform"}})
			s.SCM.AddAccount(coretest.Account{Login: "mallory", Orgs: []string{"evil"}})

			code, u := s.signIn(t, browser(t), "alice", kind)
			if code != 200 || u["login"] != "alice" || u["email"] != "alice@example.com" {
				t.Fatalf("new user: got %d %v, want alice signed in", code, u)
			}
			first, _ := s.Store.FindUserLogin(context.Background(), "alice")
			if first.SCM != kind || first.SCMTokenSealed == "" || strings.Contains(first.SCMTokenSealed, kind+"-access") {
				t.Errorf("stored user: scm %q, sealed token %q: want %s and a sealed token", first.SCM, first.SCMTokenSealed, kind)
			}
			code, u = s.signIn(t, browser(t), "alice", kind)
			again, _ := s.Store.FindUserLogin(context.Background(), "alice")
			if code != 200 || again.ID != first.ID || again.SCMTokenSealed == first.SCMTokenSealed {
				t.Errorf("returning user: got %d %v id %d (first %d), want the same user with a new token", code, u, again.ID, first.ID)
			}
			if code, u := s.signIn(t, browser(t), "bob", kind); code != 200 || u["login"] != "bob" {
				t.Errorf("user in an allowed organisation: got %d %v", code, u)
			}
			code, u = s.signIn(t, browser(t), "mallory", kind)
			if code != http.StatusForbidden || !strings.Contains(u["error"].(string), "not in an organisation allowed") {
				t.Errorf("user outside DRONE_USER_FILTER: got %d %v, want 403", code, u)
			}
			if _, err := s.Store.FindUserLogin(context.Background(), "mallory"); err == nil {
				t.Error("a refused user was stored")
			}
			// A wrong state is refused before the code is used.
			if res, err := browser(t).Get(s.URL + "/login/" + kind + "?code=x&state=forged"); err != nil || res.StatusCode != http.StatusBadRequest {
				t.Errorf("forged state: got %v %v, want 400", res.StatusCode, err)
			}
		})
	}
}

func TestLoginClosedRegistration(t *testing.T) {
	t.Parallel()
	s := newLoginServer(t, "github", map[string]string{"DRONE_REGISTRATION_CLOSED": "true"})
	s.SCM.AddAccount(coretest.Account{Login: "alice"})
	s.SCM.AddAccount(coretest.Account{Login: "carol"})
	if err := s.Store.CreateUser(context.Background(), &model.User{Login: "carol", SCM: "github", Active: true, TokenHash: "x"}); err != nil {
		t.Fatal(err)
	}
	if code, u := s.signIn(t, browser(t), "alice", "github"); code != http.StatusForbidden || !strings.Contains(u["error"].(string), "registration is closed") {
		t.Errorf("new user, closed registration: got %d %v, want 403", code, u)
	}
	if code, u := s.signIn(t, browser(t), "carol", "github"); code != 200 || u["login"] != "carol" {
		t.Errorf("existing user, closed registration: got %d %v, want signed in", code, u)
	}
}

// TestLoginPermissionsAndHooks syncs permissions from the SCM with the
// user's own token, refreshes an expired GitLab token, and creates the
// webhook when a repository admin activates a repository.
func TestLoginPermissionsAndHooks(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"github", "gitlab"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			s := newLoginServer(t, kind, nil)
			// GitLab namespaces nest (acme/sub, URL-encoded in paths);
			// GitHub's do not.
			ns, enc := "acme", "acme"
			if kind == "gitlab" {
				ns, enc = "acme/sub", "acme%2Fsub"
			}
			s.SCM.AddAccount(coretest.Account{Login: "alice", Access: map[string]string{ns + "/app": "push", ns + "/tool": "admin"}})
			for _, name := range []string{"app", "tool", "hidden"} {
				req, _ := http.NewRequest("POST", s.URL+"/api/repos", strings.NewReader(`{"namespace":"`+ns+`","name":"`+name+`","scm":"`+kind+`","active":false}`))
				req.Header.Set("Authorization", "Bearer tok")
				if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 201 {
					t.Fatalf("activating %s: %v %v", name, res.StatusCode, err)
				}
			}
			b := browser(t)
			if code, _ := s.signIn(t, b, "alice", kind); code != 200 {
				t.Fatalf("sign in: %d", code)
			}
			if kind == "gitlab" {
				// The stored token expired: the next SCM call refreshes it.
				u, _ := s.Store.FindUserLogin(context.Background(), "alice")
				u.SCMExpiry = 1
				if err := s.Store.UpdateUser(context.Background(), u); err != nil {
					t.Fatal(err)
				}
				s.SCM.ExpireTokens()
			}
			issued := s.SCM.Issued()
			get := func(method, path string) int {
				req, _ := http.NewRequest(method, s.URL+path, nil)
				if method != "GET" {
					req.Header.Set(web.CSRFHeader, pageToken(t, b, s.URL))
				}
				res, err := b.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				return res.StatusCode
			}
			tests := []struct {
				method, path string
				want         int
			}{
				{"GET", "/api/repos/" + enc + "/app/builds", 200},
				{"GET", "/api/repos/" + enc + "/app/secrets", 200},
				{"PATCH", "/api/repos/" + enc + "/app", 403},
				{"GET", "/api/repos/" + enc + "/hidden", 404},
				{"POST", "/api/repos/" + enc + "/tool", 200},
				{"POST", "/api/repos/" + enc + "/tool/repair", 204},
				{"POST", "/api/repos/" + enc + "/app/repair", 403},
			}
			for _, tt := range tests {
				if got := get(tt.method, tt.path); got != tt.want {
					t.Errorf("%s %s: got %d, want %d", tt.method, tt.path, got, tt.want)
				}
			}
			if kind == "gitlab" && s.SCM.Issued() != issued+1 {
				t.Errorf("expired token: %d tokens issued since, want 1 refresh", s.SCM.Issued()-issued)
			}
			repo, _ := s.Store.FindRepoSlug(context.Background(), kind, ns+"/tool")
			hooks := s.SCM.Hooks()
			if len(hooks) != 1 || hooks[0].ID != 2 || hooks[0].Slug != ns+"/tool" || !strings.HasSuffix(hooks[0].URL, "/hook?repo="+url.QueryEscape(ns+"/tool")) || hooks[0].Secret != repo.Secret || !repo.Active {
				t.Errorf("webhook on activation: got %+v (repo active %v), want one hook on the tool repository, replaced by repair (id 2), with the repository secret", hooks, repo.Active)
			}
			// The owner (alice, who set the hook) lends her token to a
			// machine admin's repair; after chown to the admin, nobody can.
			admin := func(method, path string) (int, string) {
				req, _ := http.NewRequest(method, s.URL+path, nil)
				req.Header.Set("Authorization", "Bearer tok")
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				b, _ := io.ReadAll(res.Body)
				return res.StatusCode, string(b)
			}
			u, _ := s.Store.FindUserLogin(context.Background(), "alice")
			if code, body := admin("GET", "/api/repos/"+enc+"/tool"); code != 200 || !strings.Contains(body, fmt.Sprintf(`"user_id":%d`, u.ID)) {
				t.Errorf("owner after enable: got %d %s, want alice (%d)", code, body, u.ID)
			}
			if code, body := admin("POST", "/api/repos/"+enc+"/tool/repair"); code != 204 || s.SCM.Hooks()[0].ID != 3 {
				t.Errorf("machine admin's repair with the owner's token: got %d %s, hooks %+v", code, body, s.SCM.Hooks())
			}
			if code, body := admin("POST", "/api/repos/"+enc+"/tool/chown"); code != 200 || strings.Contains(body, fmt.Sprintf(`"user_id":%d`, u.ID)) {
				t.Errorf("chown: got %d %s, want the admin as owner", code, body)
			}
			if code, _ := admin("POST", "/api/repos/"+enc+"/tool/repair"); code != 409 {
				t.Errorf("repair with no token at hand: got %d, want 409", code)
			}
			if got := get("DELETE", "/api/repos/"+enc+"/tool"); got != 200 || len(s.SCM.Hooks()) != 0 {
				t.Errorf("disable: got %d with hooks %+v, want 200 and the hook removed", got, s.SCM.Hooks())
			}
			// Sync: a repository only the SCM knew becomes known, inactive,
			// with the user's permission.
			s.SCM.AddAccount(coretest.Account{Login: "alice", Access: map[string]string{ns + "/app": "push", ns + "/tool": "admin", ns + "/fresh": "pull"}})
			if got := get("POST", "/api/user/repos"); got != 200 {
				t.Errorf("sync: got %d, want 200", got)
			}
			if fresh, err := s.Store.FindRepoSlug(context.Background(), kind, ns+"/fresh"); err != nil || fresh.Active || fresh.Branch != "main" || fresh.HTTPURL == "" {
				t.Errorf("synced repository: got %+v %v, want it known and inactive", fresh, err)
			}
			if got := get("GET", "/api/repos/"+enc+"/fresh"); got != 200 {
				t.Errorf("reading the synced repository: got %d, want 200", got)
			}
			u, _ = s.Store.FindUserLogin(context.Background(), "alice")
			app, _ := s.Store.FindRepoSlug(context.Background(), kind, ns+"/app")
			if p, err := s.Store.FindPerm(context.Background(), u.ID, app.ID); err != nil || !p.Push || p.Admin || p.Synced == 0 {
				t.Errorf("stored permission: got %+v %v, want push synced", p, err)
			}
		})
	}
}
