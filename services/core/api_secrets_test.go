package core

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hangar-ci/hangar/services/core/store"
	"github.com/hangar-ci/hangar/shared/envconf"
	"github.com/hangar-ci/hangar/shared/server"
)

// newSealedAPI is newAPI with a database key.
func newSealedAPI(t *testing.T, extra map[string]string) (*httptest.Server, *store.Store) {
	t.Helper()
	vars := map[string]string{"HANGAR_API_TOKEN": "tok", "DRONE_DATABASE_SECRET": "api-test-database-secret-0123456", "DRONE_CRON_INTERVAL": "0"}
	for k, v := range extra {
		vars[k] = v
	}
	return newCore(t, vars)
}

// TestSecretsNeverShown sends a value through every secret route and its
// errors: no answer holds it, and the column holds it sealed.
func TestSecretsNeverShown(t *testing.T) {
	t.Parallel()
	srv, st := newSealedAPI(t, nil)
	const value = "s3cr3t-value-never-shown"
	call(t, srv, "POST", "/api/repos", "tok", `{"namespace":"octo","name":"hello","scm":"github"}`)
	steps := []struct {
		method, path, body string
		want               int
	}{
		{"POST", "/api/repos/octo/hello/secrets", `{"name":"pw","data":"` + value + `"}`, 200},
		{"POST", "/api/repos/octo/hello/secrets", `{"name":"pw","data":"` + value + `"}`, 409},
		{"POST", "/api/repos/octo/hello/secrets", `{"name":"bad name","data":"` + value + `"}`, 400},
		{"POST", "/api/repos/octo/hello/secrets", `{"name":"pw","data":"` + value + `","colour":1}`, 400},
		{"POST", "/api/repos/octo/hello/secrets", `{"name":"pw","data":"` + value, 400},
		{"POST", "/api/repos/octo/hello/secrets", `{"name":"pw","data":["` + value + `"]}`, 400},
		{"GET", "/api/repos/octo/hello/secrets", "", 200},
		{"GET", "/api/repos/octo/hello/secrets/pw", "", 200},
		{"PATCH", "/api/repos/octo/hello/secrets/pw", `{"data":"` + value + `2","pull_request":true}`, 200},
		{"POST", "/api/secrets/octo", `{"name":"org","data":"` + value + `"}`, 200},
		{"GET", "/api/secrets/octo/org", "", 200},
		{"GET", "/api/secrets", "", 200},
		{"PATCH", "/api/secrets/octo/org", `{"data":"` + value + `3"}`, 200},
	}
	for _, s := range steps {
		code, body := call(t, srv, s.method, s.path, "tok", s.body)
		if code != s.want {
			t.Errorf("%s %s: got %d %q, want %d", s.method, s.path, code, body, s.want)
		}
		if strings.Contains(body, value) {
			t.Errorf("%s %s: the answer holds the secret value: %s", s.method, s.path, body)
		}
	}
	rows, err := st.ListSecrets(context.Background(), 0, "")
	if err != nil || len(rows) != 1 {
		t.Fatalf("org secrets: %v %v", rows, err)
	}
	repo, _ := st.FindRepoSlug(context.Background(), "github", "octo/hello")
	list, _ := st.ListSecrets(context.Background(), repo.ID, "")
	for _, sec := range append(rows, list...) {
		if sec.Data == "" || strings.Contains(sec.Data, value) {
			t.Errorf("secret %s stored as %q, want it sealed", sec.Name, sec.Data)
		}
	}
	if len(list) != 1 || !list[0].PullRequest {
		t.Errorf("repository secrets: got %+v, want pw with pull_request", list)
	}
}

// TestSecretsNeedADatabaseKey refuses to store a secret without a key.
func TestSecretsNeedADatabaseKey(t *testing.T) {
	t.Parallel()
	srv, _ := newAPI(t)
	call(t, srv, "POST", "/api/repos", "tok", `{"namespace":"octo","name":"hello","scm":"github"}`)
	if code, body := call(t, srv, "POST", "/api/repos/octo/hello/secrets", "tok", `{"name":"pw","data":"v"}`); code != 503 || !strings.Contains(body, "DRONE_DATABASE_SECRET") {
		t.Errorf("got %d %q, want 503 naming DRONE_DATABASE_SECRET", code, body)
	}
}

// TestTokenRotation shows, rotates and invalidates API tokens.
func TestTokenRotation(t *testing.T) {
	t.Parallel()
	srv, _ := newSealedAPI(t, nil)
	code, body := call(t, srv, "POST", "/api/users", "tok", `{"login":"dev"}`)
	if code != 200 {
		t.Fatalf("creating dev: %d %s", code, body)
	}
	old := between(body, `"token":"`, `"`)
	if len(old) != 64 {
		t.Fatalf("generated token %q, want 64 hex characters", old)
	}
	if code, body := call(t, srv, "POST", "/api/user/token", old, ""); code != 200 || !strings.Contains(body, old) {
		t.Errorf("showing the token: got %d %q, want it", code, body)
	}
	code, body = call(t, srv, "POST", "/api/user/token?rotate=true", old, "")
	fresh := between(body, `"token":"`, `"`)
	if code != 200 || fresh == "" || fresh == old {
		t.Fatalf("rotating: got %d %q", code, body)
	}
	if code, _ := call(t, srv, "GET", "/api/user", old, ""); code != 401 {
		t.Errorf("old token after rotation: got %d, want 401", code)
	}
	if code, body := call(t, srv, "GET", "/api/user", fresh, ""); code != 200 || !strings.Contains(body, `"login":"dev"`) {
		t.Errorf("new token: got %d %q", code, body)
	}
	if code, body := call(t, srv, "GET", "/api/users/dev", "tok", ""); code != 200 || strings.Contains(body, fresh) {
		t.Errorf("admin reading a user: got %d %q, want it without the token", code, body)
	}
	if code, _ := call(t, srv, "PATCH", "/api/users/dev", "tok", `{"active":false}`); code != 200 {
		t.Errorf("blocking: got %d", code)
	}
	if code, _ := call(t, srv, "GET", "/api/user", fresh, ""); code != 401 {
		t.Errorf("blocked user: got %d, want 401", code)
	}
}

func between(s, from, to string) string {
	_, after, ok := strings.Cut(s, from)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(after, to)
	return v
}

// TestAPITokenUserNeverAPerson refuses to start when HANGAR_API_TOKEN's
// user is someone who signed in through an SCM.
func TestAPITokenUserNeverAPerson(t *testing.T) {
	t.Parallel()
	_, st := newAPI(t)
	u, _ := st.FindUserLogin(context.Background(), "hangar")
	u.SCM = "github"
	if err := st.UpdateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	opts, _ := OptionsFromEnv(envconf.Map(map[string]string{"HANGAR_API_TOKEN": "tok"}), "")
	if _, err := NewWithStore(opts, server.Env{}, st); err == nil || !strings.Contains(err.Error(), "signed in through github") {
		t.Errorf("got %v, want a refusal", err)
	}
}
