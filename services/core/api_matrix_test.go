package core

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hangar-ci/hangar/services/core/auth"
	"github.com/hangar-ci/hangar/services/core/model"
)

// route classes: what a route asks of its caller.
const (
	anyone   = "anyone"
	loggedIn = "logged-in"
	sysadmin = "system admin"
	read     = "pull"
	write    = "push"
	admin    = "admin"
	orgAdmin = "org admin"
)

// matrixRoutes is every API route with the access it needs. Paths name the
// private repository octo/private and the namespace octo.
var matrixRoutes = []struct{ method, path, need string }{
	{"GET", "/api/user", loggedIn},
	{"POST", "/api/user/token", loggedIn},
	{"PATCH", "/api/user", loggedIn},
	{"GET", "/api/user/builds", loggedIn},
	{"GET", "/api/user/builds/recent", loggedIn},
	{"GET", "/api/user/repos", loggedIn},
	{"POST", "/api/user/repos", loggedIn},
	{"GET", "/api/users", sysadmin},
	{"POST", "/api/users", sysadmin},
	{"GET", "/api/users/victim", sysadmin},
	{"PATCH", "/api/users/victim", sysadmin},
	{"GET", "/api/users/victim/repos", sysadmin},
	{"DELETE", "/api/users/victim", sysadmin},
	{"GET", "/api/queue", sysadmin},
	{"POST", "/api/queue", sysadmin},
	{"DELETE", "/api/queue", sysadmin},
	{"GET", "/api/builds/incomplete", sysadmin},
	{"GET", "/api/system/stats", sysadmin},
	{"GET", "/api/repos", sysadmin},
	{"POST", "/api/repos", sysadmin},
	{"GET", "/api/repos/octo/private", read},
	{"PATCH", "/api/repos/octo/private", admin},
	{"POST", "/api/repos/octo/private", admin},
	{"GET", "/api/repos/octo/private/builds", read},
	{"POST", "/api/repos/octo/private/builds", write},
	{"GET", "/api/repos/octo/private/builds/latest", read},
	{"GET", "/api/repos/octo/private/builds/branches", read},
	{"GET", "/api/repos/octo/private/builds/pulls", read},
	{"GET", "/api/repos/octo/private/builds/deployments", read},
	{"GET", "/api/repos/octo/private/builds/1", read},
	{"POST", "/api/repos/octo/private/builds/1", write},
	{"DELETE", "/api/repos/octo/private/builds/1", write},
	{"POST", "/api/repos/octo/private/builds/1/promote?target=prod", write},
	{"POST", "/api/repos/octo/private/builds/1/rollback?target=prod", write},
	{"POST", "/api/repos/octo/private/builds/1/approve/1", admin},
	{"POST", "/api/repos/octo/private/builds/1/decline/1", admin},
	{"PUT", "/api/repos/octo/private/builds/1/stages/1", sysadmin},
	{"DELETE", "/api/repos/octo/private/builds/1/logs/1/1", admin},
	{"GET", "/api/repos/octo/private/secrets", write},
	{"POST", "/api/repos/octo/private/secrets", write},
	{"GET", "/api/repos/octo/private/secrets/s1", write},
	{"PATCH", "/api/repos/octo/private/secrets/s1", write},
	{"DELETE", "/api/repos/octo/private/secrets/s1", write},
	{"GET", "/api/secrets", sysadmin},
	{"GET", "/api/secrets/octo", orgAdmin},
	{"POST", "/api/secrets/octo", orgAdmin},
	{"GET", "/api/secrets/octo/o1", orgAdmin},
	{"POST", "/api/secrets/octo/o1", orgAdmin},
	{"PATCH", "/api/secrets/octo/o1", orgAdmin},
	{"DELETE", "/api/secrets/octo/o1", orgAdmin},
	{"POST", "/api/repos/octo/private/sign", write},
	{"POST", "/api/repos/octo/private/encrypt", write},
	{"POST", "/api/repos/octo/private/encrypt/secret", write},
	{"GET", "/api/repos/octo/private/cron", write},
	{"POST", "/api/repos/octo/private/cron", write},
	{"GET", "/api/repos/octo/private/cron/c1", write},
	{"POST", "/api/repos/octo/private/cron/c1", write},
	{"PATCH", "/api/repos/octo/private/cron/c1", write},
	{"DELETE", "/api/repos/octo/private/cron/c1", write},
	{"GET", "/api/repos/octo/private/collaborators", read},
	{"GET", "/api/repos/octo/private/collaborators/puller", read},
	{"DELETE", "/api/repos/octo/private/collaborators/victim", admin},
	{"GET", "/api/badges/octo/private/status.svg", anyone},
	{"GET", "/api/badges/octo/private/cc.xml", read},
	{"POST", "/api/repos/octo/private/repair", admin},
	{"POST", "/api/repos/octo/private/chown", admin},
	{"DELETE", "/api/repos/octo/private", admin},
}

// role is a caller of the matrix: its token ("" anonymous) and what it may
// do in octo/private.
type role struct {
	name    string
	token   string
	level   auth.Access
	sysAdm  bool
	orgAdm  bool
	present bool // logged in
}

// expected is the status the guard answers for a route of path, 0 when
// it lets the request through to the handler. Under a private repository's
// path read access is the floor of every route (repoGate), so a caller who
// cannot read it is told it is missing, whatever the route needs.
func (r role) expected(need, path string) int {
	switch {
	case need == anyone:
		return 0
	case !r.present:
		return http.StatusUnauthorized
	case strings.HasPrefix(path, "/api/repos/octo/private") && r.level < auth.Read:
		return http.StatusNotFound
	case need == loggedIn:
		return 0
	case need == sysadmin:
		return map[bool]int{true: 0, false: http.StatusForbidden}[r.sysAdm]
	case need == orgAdmin:
		return map[bool]int{true: 0, false: http.StatusForbidden}[r.sysAdm || r.orgAdm]
	case r.level < auth.Read:
		return http.StatusNotFound
	}
	want := map[string]auth.Access{read: auth.Read, write: auth.Write, admin: auth.Admin}[need]
	return map[bool]int{true: 0, false: http.StatusForbidden}[r.level >= want]
}

// TestPermissionMatrix calls every route as every role: anonymous, a
// logged-in stranger, pull, push, repository admin and machine admin.
func TestPermissionMatrix(t *testing.T) {
	t.Parallel()
	srv, st := newAPI(t)
	ctx := context.Background()
	if code, body := call(t, srv, "POST", "/api/repos", "tok", `{"namespace":"octo","name":"private","scm":"github"}`); code != 201 {
		t.Fatalf("activating: %d %s", code, body)
	}
	repo, err := st.FindRepoSlug(ctx, "github", "octo/private")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Unix()
	mkUser := func(login string, p *model.Perm) string {
		tok := auth.NewToken()
		u := &model.User{Login: login, Active: true, TokenHash: auth.HashToken(tok), Created: now, Updated: now}
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		if p != nil {
			p.UserID, p.RepoID, p.Synced = u.ID, repo.ID, now
			if err := st.PutPerm(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
		return tok
	}
	mkUser("victim", nil)
	roles := []role{
		{name: "anonymous"},
		{name: "stranger", token: mkUser("stranger", nil), present: true},
		{name: "pull", token: mkUser("puller", &model.Perm{Pull: true}), level: auth.Read, present: true},
		{name: "push", token: mkUser("pusher", &model.Perm{Pull: true, Push: true}), level: auth.Write, present: true},
		{name: "admin", token: mkUser("owner", &model.Perm{Pull: true, Push: true, Admin: true}), level: auth.Admin, orgAdm: true, present: true},
		{name: "machine admin", token: "tok", level: auth.Admin, sysAdm: true, present: true},
	}
	for _, rl := range roles {
		for _, rt := range matrixRoutes {
			code, body := call(t, srv, rt.method, rt.path, rl.token, "")
			want := rl.expected(rt.need, rt.path)
			switch {
			case want == 0 && (code == 401 || code == 403 || code == 404 && strings.Contains(body, "repository octo/private not found")):
				t.Errorf("%s %s as %s (needs %s): got %d %q, want it let through", rt.method, rt.path, rl.name, rt.need, code, body)
			case want != 0 && code != want:
				t.Errorf("%s %s as %s (needs %s): got %d %q, want %d", rt.method, rt.path, rl.name, rt.need, code, body, want)
			}
		}
	}
}

// TestVisibility checks public and internal repositories: public ones are
// readable by anyone, internal ones by any logged-in user; neither is
// writable without a permission.
func TestVisibility(t *testing.T) {
	t.Parallel()
	srv, st := newAPI(t)
	for _, body := range []string{
		`{"namespace":"octo","name":"public","scm":"github","private":false,"visibility":"public"}`,
		`{"namespace":"octo","name":"internal","scm":"github","private":true,"visibility":"internal"}`,
	} {
		if code, b := call(t, srv, "POST", "/api/repos", "tok", body); code != 201 {
			t.Fatalf("activating: %d %s", code, b)
		}
	}
	tok := auth.NewToken()
	if err := st.CreateUser(context.Background(), &model.User{Login: "someone", Active: true, TokenHash: auth.HashToken(tok)}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		method, path, token string
		want                int
	}{
		{"GET", "/api/repos/octo/public/builds", "", 200},
		{"GET", "/api/repos/octo/public", tok, 200},
		{"POST", "/api/repos/octo/public/builds", "", 401},
		{"POST", "/api/repos/octo/public/builds", tok, 403},
		{"GET", "/api/repos/octo/internal/builds", "", 401},
		{"GET", "/api/repos/octo/internal/builds", tok, 200},
		{"GET", "/api/repos/octo/internal/secrets", tok, 403},
		{"GET", "/api/repos/octo/internal?access_token=" + tok, "", 200},
		{"GET", "/api/repos/octo/internal?access_token=wrong", "", 401},
	}
	for _, tt := range tests {
		if code, body := call(t, srv, tt.method, tt.path, tt.token, ""); code != tt.want {
			t.Errorf("%s %s (token %v): got %d %q, want %d", tt.method, tt.path, tt.token != "", code, body, tt.want)
		}
	}
}

// patternRecorder is a ServeMux that remembers the patterns registered.
type patternRecorder struct {
	*http.ServeMux
	patterns []string
}

func (p *patternRecorder) Handle(pattern string, h http.Handler) {
	p.patterns = append(p.patterns, pattern)
	p.ServeMux.Handle(pattern, h)
}

func (p *patternRecorder) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	p.Handle(pattern, http.HandlerFunc(h))
}

// TestPermissionMatrixCoversEveryRoute fails when a route is registered
// without a row in matrixRoutes.
func TestPermissionMatrixCoversEveryRoute(t *testing.T) {
	t.Parallel()
	opts, err := OptionsFromEnv(func(string) (string, bool) { return "", false }, "")
	if err != nil {
		t.Fatal(err)
	}
	s := &service{opts: opts}
	rec := &patternRecorder{ServeMux: http.NewServeMux()}
	s.apiRoutes(rec)
	covered := map[string]bool{}
	for _, rt := range matrixRoutes {
		req := httptest.NewRequest(rt.method, rt.path, nil)
		_, pattern := rec.Handler(req)
		covered[pattern] = true
	}
	for _, p := range rec.patterns {
		if !covered[p] {
			t.Errorf("route %q has no row in the permission matrix", p)
		}
	}
}
