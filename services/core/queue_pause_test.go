package core

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/drone/drone-go/drone"
	"github.com/hangar-ci/hangar/services/core/model"
)

// TestQueuePauseReplicas pauses the queue through one replica's API: a
// runner's poll on the other replica stays parked for the whole poll and
// ends 204 (the stage is not even offered), and that replica's /api/queue
// says "queue paused"; the
// resume through the first replica hands the stage to a runner-go poll
// parked there at once (its rescan is an hour away).
func TestQueuePauseReplicas(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, srvA, _, srvB, st := twoReplicas(t)
	a.runners.queue.Rescan = time.Hour
	repo := &model.Repo{Namespace: "octo", Name: "paused", Slug: "octo/paused", SCM: "github", Active: true, Secret: "s", Private: true}
	if err := st.CreateRepo(ctx, repo); err != nil {
		t.Fatal(err)
	}
	build := &model.Build{RepoID: repo.ID, Status: model.StatusPending, Event: "push", Config: "kind: pipeline\n"}
	stage := &model.Stage{Number: 1, Name: "a", Kind: "pipeline", Type: "exec", OS: "linux", Arch: "amd64", Status: model.StatusPending}
	if err := st.CreateBuild(ctx, build, []*model.Stage{stage}); err != nil {
		t.Fatal(err)
	}

	if code, body := asAdmin(t, srvA, "DELETE", "/api/queue", ""); code != http.StatusNoContent {
		t.Fatalf("pause: %d %s", code, body)
	}
	// A runner's poll on B parks for the whole poll (25 s) and ends 204.
	start := time.Now()
	code, body := rpcCall(t, srvB, testRPCSecret, "POST", "/rpc/v2/stage", `{"kind":"pipeline","type":"exec","os":"linux","arch":"amd64"}`)
	if code != http.StatusNoContent {
		t.Fatalf("poll on B while paused: got %d %s, want 204", code, body)
	}
	if waited := time.Since(start); waited < 20*time.Second {
		t.Errorf("poll on B while paused ended after %v, want it parked for the poll", waited)
	}
	if st2, err := st.FindStage(ctx, stage.ID); err != nil || st2.Offered != 0 {
		t.Fatalf("stage offered while paused: %+v %v", st2, err)
	}
	code, body = asAdmin(t, srvB, "GET", "/api/queue", "")
	if code != http.StatusOK || !strings.Contains(body, `"reason":"queue paused"`) {
		t.Errorf("B's queue while paused: %d %s, want the reason \"queue paused\"", code, body)
	}

	done := make(chan *drone.Stage, 1)
	go func() {
		pctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		s, _ := benchClient(srvA.URL).Request(pctx, benchFilter)
		done <- s
	}()
	time.Sleep(300 * time.Millisecond) // parked, still paused
	if code, body := asAdmin(t, srvA, "POST", "/api/queue", ""); code != http.StatusNoContent {
		t.Fatalf("resume: %d %s", code, body)
	}
	select {
	case s := <-done:
		if s == nil || s.ID != stage.ID {
			t.Fatalf("after the resume the parked poll got %+v, want stage %d", s, stage.ID)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the resume did not wake the parked poll")
	}
}

// asAdmin makes one request with the administrator's API token.
func asAdmin(t testing.TB, srv *httptest.Server, method, path, body string) (int, string) {
	t.Helper()
	return send(t, srv, method, path, http.Header{"Authorization": {"Bearer tok"}}, body)
}
