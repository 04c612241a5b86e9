package core

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/services/core/store"
	"github.com/hangar-ci/hangar/shared/server"
	"github.com/hangar-ci/hangar/shared/sqldb"
)

// TestTwoReplicas runs two core servers over one PostgreSQL database, each
// with its own in-process wake-ups, as two replicas: runners polling both
// get every stage exactly once, and a cancel made through one reaches a
// watch parked on the other within seconds.
func TestTwoReplicas(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, srvA, b, srvB, st := twoReplicas(t)
	for _, s := range []*service{a, b} {
		s.runners.queue.Rescan = 100 * time.Millisecond // what the other replica's wake-ups would do
	}
	repo := &model.Repo{Namespace: "octo", Name: "ha", Slug: "octo/ha", SCM: "github", Active: true, Secret: "s"}
	if err := st.CreateRepo(ctx, repo); err != nil {
		t.Fatal(err)
	}
	const builds = 20
	for range builds {
		build := &model.Build{RepoID: repo.ID, Status: model.StatusPending, Event: "push", Config: "kind: pipeline\n"}
		stage := &model.Stage{Number: 1, Name: "a", Kind: "pipeline", Type: "exec", OS: "linux", Arch: "amd64", Status: model.StatusPending}
		if err := st.CreateBuild(ctx, build, []*model.Stage{stage}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	got := map[int64]int{}
	var wg sync.WaitGroup
	for i, url := range []string{srvA.URL, srvB.URL, srvA.URL, srvB.URL, srvA.URL, srvB.URL} {
		c := benchClient(url)
		wg.Go(func() {
			for {
				pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
				stage, err := c.Request(pctx, benchFilter)
				cancel()
				if err != nil || stage == nil || stage.ID == 0 {
					return // nothing left
				}
				stage.Machine = fmt.Sprintf("runner-%d", i)
				if err := c.Accept(ctx, stage); err != nil {
					t.Errorf("accept of an offered stage %d: %v", stage.ID, err)
				}
				mu.Lock()
				got[stage.ID]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(got) != builds {
		t.Errorf("stages handed out: got %d, want %d", len(got), builds)
	}
	for id, n := range got {
		if n != 1 {
			t.Errorf("stage %d handed out %d times", id, n)
		}
	}

	// Cancel through A while the watch is parked on B.
	build, err := st.FindBuild(ctx, repo.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	watched := make(chan bool, 1)
	go func() {
		cancelled, err := benchClient(srvB.URL).Watch(ctx, build.ID)
		if err != nil {
			t.Error(err)
		}
		watched <- cancelled
	}()
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	if code, body := call(t, srvA, "DELETE", "/api/repos/octo/ha/builds/1", "tok", ""); code != 200 {
		t.Fatalf("cancel: %d %s", code, body)
	}
	select {
	case c := <-watched:
		if !c {
			t.Error("watch ended without the cancel")
		}
		t.Logf("cancel through A reached the watch on B after %v", time.Since(start).Round(time.Millisecond))
	case <-time.After(8 * time.Second):
		t.Fatal("the cancel through A did not reach the watch parked on B within 8s")
	}
}

// twoReplicas serves two core servers (runner protocol open, API token
// "tok") over one fresh PostgreSQL store, each with its own in-process
// wake-ups, as two replicas.
func twoReplicas(t *testing.T) (a *service, srvA *httptest.Server, b *service, srvB *httptest.Server, st *store.Store) {
	t.Helper()
	a, srvA, st = serveCore(t, sqldb.Postgres, map[string]string{"HANGAR_API_TOKEN": "tok", "DRONE_RPC_SECRET": testRPCSecret})
	b, err := newService(a.opts, server.Env{}, st)
	if err != nil {
		t.Fatal(err)
	}
	srvB = httptest.NewServer(b.service().Handler)
	t.Cleanup(srvB.Close)
	return a, srvA, b, srvB, st
}
