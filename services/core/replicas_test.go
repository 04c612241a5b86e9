package core

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/drone/drone-go/drone"
	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/services/core/store"
	"github.com/hangar-ci/hangar/shared/server"
	"github.com/hangar-ci/hangar/shared/sqldb"
)

// TestTwoReplicas runs two core servers over one PostgreSQL database, as
// two replicas woken through LISTEN/NOTIFY: runners polling both get every
// stage exactly once, a stage scheduled on A reaches a poll parked on B at
// once (the re-read fallback is 30 s), and a cancel made through one
// reaches a watch parked on the other well before its 5 s re-read.
func TestTwoReplicas(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, srvA, b, srvB, st := twoReplicas(t)
	for _, s := range []*service{a, b} {
		for end := time.Now().Add(5 * time.Second); s.ready(ctx) != nil; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(end) {
				t.Fatalf("replica not ready: %v", s.ready(ctx))
			}
		}
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

	// A stage scheduled on A reaches the poll parked on B.
	parked := make(chan *drone.Stage, 1)
	go func() {
		pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		stage, err := benchClient(srvB.URL).Request(pctx, benchFilter)
		if err != nil {
			t.Error(err)
		}
		parked <- stage
	}()
	time.Sleep(300 * time.Millisecond)
	late := &model.Build{RepoID: repo.ID, Status: model.StatusPending, Event: "push", Config: "kind: pipeline\n"}
	lateStage := &model.Stage{Number: 1, Name: "a", Kind: "pipeline", Type: "exec", OS: "linux", Arch: "amd64", Status: model.StatusPending}
	if err := st.CreateBuild(ctx, late, []*model.Stage{lateStage}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := a.runners.queue.Schedule(ctx, lateStage); err != nil {
		t.Fatal(err)
	}
	select {
	case stage := <-parked:
		if stage == nil || stage.ID != lateStage.ID {
			t.Fatalf("poll on B got %+v, want stage %d", stage, lateStage.ID)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("stage scheduled on A reached B after %v, want a wake-up, not the 30 s re-read", d)
		}
		t.Logf("stage scheduled on A reached the poll parked on B after %v", time.Since(start).Round(time.Millisecond))
	case <-time.After(8 * time.Second):
		t.Fatal("a stage scheduled on A did not reach the poll parked on B")
	}

	// B's listener lost: B reports not ready until it is back; the cancel
	// below then crosses the new connection.
	if err := b.runners.pg.Interrupt(ctx); err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(5 * time.Second); b.ready(ctx) == nil; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("B stayed ready with its listener killed")
		}
	}
	for end := time.Now().Add(10 * time.Second); b.ready(ctx) != nil; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("B's listener did not come back: %v", b.ready(ctx))
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
	start = time.Now()
	if code, body := call(t, srvA, "DELETE", "/api/repos/octo/ha/builds/1", "tok", ""); code != 200 {
		t.Fatalf("cancel: %d %s", code, body)
	}
	select {
	case c := <-watched:
		if !c {
			t.Error("watch ended without the cancel")
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("cancel through A reached B after %v, want a wake-up, not the 5 s re-read", d)
		}
		t.Logf("cancel through A reached the watch on B after %v", time.Since(start).Round(time.Millisecond))
	case <-time.After(8 * time.Second):
		t.Fatal("the cancel through A did not reach the watch parked on B within 8s")
	}
}

// twoReplicas serves two core servers (runner protocol open, API token
// "tok") over one fresh PostgreSQL store, as two replicas woken through
// LISTEN/NOTIFY.
func twoReplicas(t *testing.T) (a *service, srvA *httptest.Server, b *service, srvB *httptest.Server, st *store.Store) {
	t.Helper()
	a, srvA, st = serveCore(t, sqldb.Postgres, map[string]string{"HANGAR_API_TOKEN": "tok", "DRONE_RPC_SECRET": testRPCSecret})
	b, err := newService(a.opts, server.Env{}, st)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.stop) // ends its PostgreSQL listener before the database closes
	srvB = httptest.NewServer(b.service().Handler)
	t.Cleanup(srvB.Close)
	return a, srvA, b, srvB, st
}

// TestSeedUsersReplicas seeds the API token's user from three replicas of
// one PostgreSQL schema at once, as three replicas starting together: none
// fails (the losers of the create re-read and update).
func TestSeedUsersReplicas(t *testing.T) {
	t.Parallel()
	a, _, st := serveCore(t, sqldb.Postgres, map[string]string{"HANGAR_API_TOKEN": "tok"})
	for range 5 {
		if _, err := st.DB().ExecContext(context.Background(), "DELETE FROM core_users WHERE login = 'hangar'"); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for range 3 {
			wg.Go(func() {
				if err := a.seedUsers(context.Background()); err != nil {
					t.Errorf("seeding: %v", err)
				}
			})
		}
		wg.Wait()
	}
}
