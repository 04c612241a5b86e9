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
	"github.com/hangar-ci/hangar/services/core/store"
	"github.com/hangar-ci/hangar/shared/server"
	"github.com/hangar-ci/hangar/shared/sqldb"
)

// BenchmarkAPIAuth measures what identifying the caller and checking the
// permission add to GET /api/repos/{owner}/{name}: beside the baseline (an
// anonymous read of a public repository: no user, no permission), a
// machine admin (one token look-up) and a user whose permission is read
// from the database (token and permission look-ups).
func BenchmarkAPIAuth(b *testing.B) {
	ctx := context.Background()
	st, err := store.New(ctx, sqldb.TestDB(b, sqldb.SQLite))
	if err != nil {
		b.Fatal(err)
	}
	opts, err := OptionsFromEnv(func(k string) (string, bool) {
		v, ok := map[string]string{"HANGAR_API_TOKEN": "tok", "DRONE_CRON_INTERVAL": "0"}[k]
		return v, ok
	}, "")
	if err != nil {
		b.Fatal(err)
	}
	svc, err := NewWithStore(opts, server.Env{}, st)
	if err != nil {
		b.Fatal(err)
	}
	h := svc.Handler
	do := func(path, token string) int {
		req := httptest.NewRequest("GET", path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	for _, body := range []string{
		`{"namespace":"octo","name":"public","scm":"github","private":false,"visibility":"public"}`,
		`{"namespace":"octo","name":"private","scm":"github"}`,
	} {
		req := httptest.NewRequest("POST", "/api/repos", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer tok")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusCreated {
			b.Fatalf("activating: %d %s", rec.Code, rec.Body)
		}
	}
	repo, _ := st.FindRepoSlug(ctx, "github", "octo/private")
	tok := auth.NewToken()
	u := &model.User{Login: "dev", Active: true, TokenHash: auth.HashToken(tok)}
	if err := st.CreateUser(ctx, u); err != nil {
		b.Fatal(err)
	}
	if err := st.PutPerm(ctx, &model.Perm{UserID: u.ID, RepoID: repo.ID, Pull: true, Synced: time.Now().Add(time.Hour).Unix()}); err != nil {
		b.Fatal(err)
	}
	cases := []struct{ name, path, token string }{
		{"baseline-anonymous-public", "/api/repos/octo/public", ""},
		{"machine-admin-token", "/api/repos/octo/private", "tok"},
		{"user-token-and-permission", "/api/repos/octo/private", tok},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if code := do(c.path, c.token); code != http.StatusOK {
					b.Fatalf("got %d", code)
				}
			}
		})
	}
}
