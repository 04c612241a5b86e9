package core

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hangar-ci/hangar/services/core/auth"
	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/services/core/store"
	"github.com/hangar-ci/hangar/shared/server"
	"github.com/hangar-ci/hangar/shared/sqldb"
)

// TestRepoGate puts a handler behind the gate with no guard of its own, as
// a route another package registers (logs, streams) would be: reading it
// still needs read access to the repository.
func TestRepoGate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := store.New(ctx, sqldb.TestDB(t, sqldb.SQLite))
	if err != nil {
		t.Fatal(err)
	}
	opts, _ := OptionsFromEnv(func(k string) (string, bool) {
		return map[string]string{"HANGAR_API_TOKEN": "tok"}[k], k == "HANGAR_API_TOKEN"
	}, "")
	s, err := newService(opts, server.Env{}, st)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.seedUsers(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Now().Unix()
	for _, r := range []*model.Repo{
		{Namespace: "octo", Name: "private", Slug: "octo/private", SCM: "gitlab", Private: true, Visibility: "private"},
		{Namespace: "octo/sub", Name: "public", Slug: "octo/sub/public", SCM: "gitlab", Visibility: "public"},
	} {
		if err := st.CreateRepo(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	private, _ := st.FindRepoSlug(ctx, "gitlab", "octo/private")
	user := func(login string, perm *model.Perm) string {
		tok := auth.NewToken()
		u := &model.User{Login: login, Active: true, TokenHash: auth.HashToken(tok)}
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		if perm != nil {
			perm.UserID, perm.RepoID, perm.Synced = u.ID, private.ID, now
			st.PutPerm(ctx, perm)
		}
		return tok
	}
	stranger, puller := user("stranger", nil), user("puller", &model.Perm{Pull: true})
	var seen string
	unguarded := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if repo, ok := r.Context().Value(ctxRepoKey{}).(*model.Repo); ok {
			seen = repo.Slug
		}
		w.WriteHeader(http.StatusTeapot)
	})
	h := s.authn.Middleware(s.repoGate(unguarded))
	tests := []struct {
		path, token string
		want        int
		wantRepo    string
	}{
		{"/api/repos/octo/private/builds/1/logs/1/1", "", 401, ""},
		{"/api/stream/octo/private/1/1/1", "", 401, ""},
		{"/api/repos/octo/private/builds/1/logs/1/1", stranger, 404, ""},
		{"/api/repos/octo/private/builds/1/logs/1/1", puller, 418, "octo/private"},
		{"/api/stream/octo/private/1/1/1", puller, 418, "octo/private"},
		{"/api/repos/octo%2Fsub/public/builds", "", 418, "octo/sub/public"},
		{"/api/repos/octo/missing/builds", puller, 404, ""},
		{"/api/repos/octo/missing", "tok", 418, ""}, // a system admin may enable an unknown repository
		{"/api/user", "", 418, ""},                  // not a repository's path
	}
	for _, tt := range tests {
		seen = ""
		req := httptest.NewRequest("GET", tt.path, nil)
		if tt.token != "" {
			req.Header.Set("Authorization", "Bearer "+tt.token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tt.want || seen != tt.wantRepo {
			t.Errorf("GET %s (token %v): got %d with repo %q, want %d with %q", tt.path, tt.token != "", rec.Code, seen, tt.want, tt.wantRepo)
		}
	}
}
