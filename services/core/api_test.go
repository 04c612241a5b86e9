package core

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hangar-ci/hangar/services/core/store"
	"github.com/hangar-ci/hangar/shared/scmhook"
	"github.com/hangar-ci/hangar/shared/server"
	"github.com/hangar-ci/hangar/shared/sqldb"
)

func newAPI(t *testing.T) (*httptest.Server, *store.Store) {
	t.Helper()
	return newCore(t, nil)
}

func call(t *testing.T, srv *httptest.Server, method, path, token, body string) (int, string) {
	t.Helper()
	hdr := http.Header{}
	if token != "" {
		hdr.Set("Authorization", "Bearer "+token)
	}
	return send(t, srv, method, path, hdr, body)
}

// TestAPI checks authorisation, activation and the error statuses.
func TestAPI(t *testing.T) {
	t.Parallel()
	srv, _ := newAPI(t)
	steps := []struct {
		method, path, token, body string
		want                      int
		wantBody                  string
	}{
		{"GET", "/api/repos", "", "", 401, "log in"},
		{"GET", "/api/repos", "wrong", "", 401, "invalid or expired token"},
		{"POST", "/api/repos", "tok", `{"namespace":"octo","name":"hello","scm":"github","secret":"s3cret"}`, 201, `"secret":"s3cret"`},
		{"POST", "/api/repos", "tok", `{"namespace":"OCTO","name":"HELLO","scm":"github"}`, 409, "already exists"},
		{"POST", "/api/repos", "tok", `{"namespace":"octo","name":"x","scm":"svn"}`, 400, "scm must be github or gitlab"},
		{"POST", "/api/repos", "tok", `{"namespace":"octo","name":"x","scm":"github","colour":"red"}`, 400, "colour"},
		{"POST", "/api/repos", "tok", `{"namespace":`, 400, "invalid JSON"},
		{"PATCH", "/api/repos/octo/hello", "tok", `{"trusted":true,"config_path":".ci.yml"}`, 200, `"config_path":".ci.yml"`},
		{"PATCH", "/api/repos/octo/hello", "tok", `{"scm":"gitlab"}`, 400, "cannot change"},
		{"GET", "/api/repos/octo/hello", "tok", "", 200, `"trusted":true`},
		{"GET", "/api/repos/octo/missing", "tok", "", 404, "not found"},
		{"GET", "/api/repos/octo/hello/builds", "tok", "", 200, "[]"},
		{"GET", "/api/queue", "tok", "", 200, "[]"},
		{"GET", "/api/repos/octo/hello/builds?per_page=1000", "tok", "", 400, "per_page"},
		{"GET", "/api/repos/octo/hello/builds/1", "tok", "", 404, "not found"},
		{"GET", "/api/repos/octo/hello/builds/x", "tok", "", 400, "not a positive integer"},
		{"DELETE", "/api/repos/octo/hello/builds/1", "tok", "", 404, "not found"},
		{"DELETE", "/api/repos/octo/hello", "tok", "", 200, `"active":false`},
		{"GET", "/api/repos/octo/hello", "tok", "", 200, `"active":false`},
		{"POST", "/api/repos/octo/hello/builds", "tok", "", 409, "not active"},
	}
	for _, s := range steps {
		code, body := call(t, srv, s.method, s.path, s.token, s.body)
		if code != s.want || !strings.Contains(body, s.wantBody) {
			t.Errorf("%s %s %s: got %d %q, want %d containing %q", s.method, s.path, s.body, code, body, s.want, s.wantBody)
		}
	}
	if _, body := call(t, srv, "GET", "/api/repos/octo/hello", "tok", ""); strings.Contains(body, "s3cret") {
		t.Errorf("the repository secret is shown: %s", body)
	}
}

// TestAPIClosedWithoutToken refuses anonymous callers when no user exists.
func TestAPIClosedWithoutToken(t *testing.T) {
	t.Parallel()
	st, err := store.New(context.Background(), sqldb.TestDB(t, sqldb.SQLite))
	if err != nil {
		t.Fatal(err)
	}
	svc, err := NewWithStore(Options{DatabaseDriver: "sqlite3", DatabaseDatasource: "x", ServerProto: "http", ConfigTimeout: 1, ConvertTimeout: 1,
		ValidateTimeout: 1, SCMTimeout: 1, CacheSize: 1, MaxHookBody: 1}, server.Env{}, st)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc.Handler)
	defer srv.Close()
	if code, _ := call(t, srv, "GET", "/api/repos", "", ""); code != http.StatusUnauthorized {
		t.Errorf("got %d, want 401", code)
	}
}

// TestHookInactiveRepository answers 204 and writes nothing.
func TestHookInactiveRepository(t *testing.T) {
	t.Parallel()
	srv, st := newAPI(t)
	call(t, srv, "POST", "/api/repos", "tok", `{"namespace":"Codertocat","name":"Hello-World","scm":"github","secret":"k","active":false}`)
	body := readPayload(t, "github/push.json")
	req, _ := http.NewRequest("POST", srv.URL+"/hook", bytes.NewReader(body))
	req.Header.Set("X-GitHub-Event", "push")
	req.Header.Set("X-Hub-Signature-256", scmhook.SignGitHub(body, "k"))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	repo, err := st.FindRepoSlug(context.Background(), "github", "Codertocat/Hello-World")
	if err != nil {
		t.Fatal(err)
	}
	n, _ := st.CountBuilds(context.Background(), repo.ID)
	if res.StatusCode != http.StatusNoContent || n != 0 {
		t.Errorf("got %d with %d builds, want 204 and none", res.StatusCode, n)
	}
	// Neither provider header: 400.
	req, _ = http.NewRequest("POST", srv.URL+"/hook", bytes.NewReader(body))
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("no provider header: got %d, want 400", res.StatusCode)
	}
}
