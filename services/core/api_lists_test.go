package core

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/shared/wire"
)

func TestBuildLists(t *testing.T) {
	t.Parallel()
	srv, st := newAPI(t)
	ctx := context.Background()
	call(t, srv, "POST", "/api/repos", "tok", `{"namespace":"octo","name":"hello","scm":"github"}`)
	call(t, srv, "POST", "/api/repos", "tok", `{"namespace":"octo","name":"empty","scm":"github"}`)
	repo, _ := st.FindRepoSlug(ctx, "github", "octo/hello")
	for _, b := range []model.Build{
		{Event: model.EventPush, Target: "main", Ref: "refs/heads/main"},
		{Event: model.EventPush, Target: "dev", Ref: "refs/heads/dev"},
		{Event: model.EventPush, Target: "main", Ref: "refs/heads/main"},
		{Event: model.EventPullRequest, Target: "main", Ref: "refs/pull/1/head"},
		{Event: model.EventPullRequest, Target: "main", Ref: "refs/pull/2/head"},
		{Event: model.EventPullRequest, Target: "main", Ref: "refs/pull/1/head"},
		{Event: model.EventPromote, Deploy: "prod"},
		{Event: model.EventPromote, Deploy: "staging"},
		{Event: model.EventPromote, Deploy: "prod"},
	} {
		b.RepoID, b.Status = repo.ID, model.StatusPassing
		if err := st.CreateBuild(ctx, &b, nil); err != nil {
			t.Fatal(err)
		}
	}
	numbers := func(path string) []int64 {
		t.Helper()
		code, body := call(t, srv, "GET", path, "tok", "")
		var list []wire.Build
		if code != 200 || json.Unmarshal([]byte(body), &list) != nil {
			t.Fatalf("%s: %d %s", path, code, body)
		}
		var out []int64
		for _, b := range list {
			out = append(out, b.Number)
		}
		return out
	}
	for path, want := range map[string][]int64{
		"/api/repos/octo/hello/builds/branches":    {3, 2},
		"/api/repos/octo/hello/builds/pulls":       {6, 5},
		"/api/repos/octo/hello/builds/deployments": {9, 8},
	} {
		if diff := cmp.Diff(want, numbers(path)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", path, diff)
		}
	}
	if code, body := call(t, srv, "GET", "/api/system/stats", "tok", ""); code != 200 || !strings.Contains(body, `"builds":{"pending":0,"running":0,"total":9}`) || !strings.Contains(body, `"repos":{"active":2}`) {
		t.Errorf("stats: got %d %s", code, body)
	}
	code, body := call(t, srv, "GET", "/api/user/builds", "tok", "")
	var recent []wire.Repository
	if code != 200 || json.Unmarshal([]byte(body), &recent) != nil || len(recent) != 1 || recent[0].Slug != "octo/hello" || recent[0].Build == nil || recent[0].Build.Number != 9 {
		t.Errorf("recent builds: got %d %s, want octo/hello with build 9 alone", code, body)
	}
}

func TestCollaborators(t *testing.T) {
	t.Parallel()
	srv, st := newAPI(t)
	ctx := context.Background()
	call(t, srv, "POST", "/api/repos", "tok", `{"namespace":"octo","name":"hello","scm":"github"}`)
	repo, _ := st.FindRepoSlug(ctx, "github", "octo/hello")
	u := &model.User{Login: "dev", Active: true, TokenHash: "h-dev"}
	if err := st.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := st.PutPerm(ctx, &model.Perm{UserID: u.ID, RepoID: repo.ID, Pull: true, Push: true, Synced: 5}); err != nil {
		t.Fatal(err)
	}
	if code, body := call(t, srv, "GET", "/api/repos/octo/hello/collaborators", "tok", ""); code != 200 || !strings.Contains(body, `"login":"dev"`) || !strings.Contains(body, `"write":true`) {
		t.Errorf("list: got %d %s", code, body)
	}
	if code, _ := call(t, srv, "GET", "/api/repos/octo/hello/collaborators/DEV", "tok", ""); code != 200 {
		t.Errorf("find: got %d", code)
	}
	if code, _ := call(t, srv, "DELETE", "/api/repos/octo/hello/collaborators/dev", "tok", ""); code != 204 {
		t.Errorf("delete: got %d", code)
	}
	if code, _ := call(t, srv, "GET", "/api/repos/octo/hello/collaborators/dev", "tok", ""); code != 404 {
		t.Errorf("after delete: got %d, want 404", code)
	}
}
