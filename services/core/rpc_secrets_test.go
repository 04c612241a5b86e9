package core

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/shared/sqldb"
)

// TestStageSecrets: the stage details a runner gets carry the stored
// secrets the build may see, opened; a fork's pull request gets none of
// those not allowing pull requests.
func TestStageSecrets(t *testing.T) {
	t.Parallel()
	_, srv, st := serveCore(t, sqldb.SQLite, map[string]string{"HANGAR_API_TOKEN": "tok", "DRONE_RPC_SECRET": testRPCSecret,
		"DRONE_DATABASE_SECRET": "stage-secrets-database-key-012345"})
	ctx := context.Background()
	repo := &model.Repo{Namespace: "octo", Name: "sec", Slug: "octo/sec", SCM: "github", Active: true, Private: true, Visibility: "private", Timeout: 60, Secret: "s"}
	if err := st.CreateRepo(ctx, repo); err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{`{"name":"deploy_key","data":"stage-secret-value"}`, `{"name":"pr_token","data":"pr-value","pull_request":true}`} {
		if code, out := call(t, srv, "POST", "/api/repos/octo/sec/secrets", "tok", body); code != 200 {
			t.Fatalf("secret: %d %s", code, out)
		}
	}
	details := func(event, fork string) map[string]string {
		t.Helper()
		b := &model.Build{RepoID: repo.ID, Status: model.StatusPending, Event: event, Fork: fork, Config: "kind: pipeline\nname: a\n"}
		stages := []*model.Stage{{Number: 1, Name: "a", Kind: "pipeline", Type: "exec", OS: "linux", Arch: "amd64", Status: model.StatusPending, OnSuccess: true}}
		if err := st.CreateBuild(ctx, b, stages); err != nil {
			t.Fatal(err)
		}
		if code, body := rpcCall(t, srv, testRPCSecret, "POST", fmt.Sprintf("/rpc/v2/stage/%d?machine=m", stages[0].ID), ""); code != 200 {
			t.Fatalf("accept: %d %s", code, body)
		}
		code, body := rpcCall(t, srv, testRPCSecret, "GET", fmt.Sprintf("/rpc/v2/stage/%d", stages[0].ID), "")
		var got struct {
			Secrets []struct{ Name, Data string } `json:"secrets"`
		}
		if code != 200 || json.Unmarshal([]byte(body), &got) != nil {
			t.Fatalf("details: %d %s", code, body)
		}
		out := map[string]string{}
		for _, s := range got.Secrets {
			out[s.Name] = s.Data
		}
		return out
	}
	if got := details("push", ""); got["deploy_key"] != "stage-secret-value" || got["pr_token"] != "pr-value" {
		t.Errorf("push: got %v, want both secrets opened", got)
	}
	if got := details("pull_request", "mallory/sec"); got["deploy_key"] != "" || got["pr_token"] != "pr-value" {
		t.Errorf("fork pull request: got %v, want pr_token alone", got)
	}
}
