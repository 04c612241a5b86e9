package core

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drone/drone-go/drone"

	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/shared/sqldb"
)

// TestReplicaLatency runs three core servers over one PostgreSQL schema,
// as three replicas woken through LISTEN/NOTIFY, and measures what crosses
// between them: a stage scheduled on A reaching a poll parked on B, a
// cancel made on B reaching a watch parked on A, and a log batch received
// by A reaching a viewer streaming from C. Each must arrive, and well
// before the polling fallbacks (30 s, 5 s, 2 s) would deliver it; the
// figures are logged, not asserted (make bench has the dispatch figure).
func TestReplicaLatency(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, srvA, st := serveCore(t, sqldb.Postgres, map[string]string{"HANGAR_API_TOKEN": "tok", "DRONE_RPC_SECRET": testRPCSecret})
	srvB, srvC := startReplica(t, a, st), startReplica(t, a, st)
	repo := &model.Repo{Namespace: "octo", Name: "ha", Slug: "octo/ha", SCM: "github", Active: true, Timeout: 60, Secret: "s"}
	if err := st.CreateRepo(ctx, repo); err != nil {
		t.Fatal(err)
	}
	newBuild := func() (*model.Build, *model.Stage) {
		t.Helper()
		build := &model.Build{RepoID: repo.ID, Status: model.StatusPending, Event: "push", Config: "kind: pipeline\n"}
		stage := &model.Stage{Number: 1, Name: "a", Kind: "pipeline", Type: "exec", OS: "linux", Arch: "amd64", Status: model.StatusPending}
		if err := st.CreateBuild(ctx, build, []*model.Stage{stage}); err != nil {
			t.Fatal(err)
		}
		return build, stage
	}
	summary := func(what string, lat []time.Duration, limit time.Duration) {
		t.Helper()
		slices.Sort(lat)
		p99 := lat[(len(lat)*99)/100]
		if len(lat) < 100 {
			p99 = lat[len(lat)-1] // the worst of fewer than 100
		}
		t.Logf("%s: n=%d median=%v p99=%v max=%v", what, len(lat), lat[len(lat)/2].Round(10*time.Microsecond), p99.Round(10*time.Microsecond), lat[len(lat)-1].Round(10*time.Microsecond))
		if worst := lat[len(lat)-1]; worst > limit {
			t.Errorf("%s: slowest %v, want under %v (the polling fallback's pace)", what, worst, limit)
		}
	}
	pollB := benchClient(srvB.URL)

	t.Run("dispatch A to B", func(t *testing.T) {
		var lat []time.Duration
		for range 100 {
			got := make(chan *drone.Stage, 1)
			go func() {
				stage, err := pollB.Request(ctx, benchFilter)
				if err != nil {
					t.Error(err)
				}
				got <- stage
			}()
			time.Sleep(5 * time.Millisecond) // the poll is parked on B
			_, stage := newBuild()
			t0 := time.Now()
			if err := a.runners.queue.Schedule(ctx, stage); err != nil {
				t.Fatal(err)
			}
			select {
			case r := <-got:
				if r == nil || r.ID != stage.ID {
					t.Fatalf("poll on B returned %+v, want stage %d", r, stage.ID)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("the stage scheduled on A never reached B")
			}
			lat = append(lat, time.Since(t0))
			if _, err := st.AcceptStage(ctx, stage.ID, "bench", time.Now().Unix()); err != nil {
				t.Fatal(err)
			}
		}
		summary("dispatch, hook on A to the runner parked on B", lat, 2*time.Second)
	})

	t.Run("cancel B to A", func(t *testing.T) {
		var lat []time.Duration
		watchA := benchClient(srvA.URL)
		for range 10 {
			build, _ := newBuild()
			got := make(chan bool, 1)
			go func() {
				cancelled, err := watchA.Watch(ctx, build.ID)
				if err != nil {
					t.Error(err)
				}
				got <- cancelled
			}()
			time.Sleep(100 * time.Millisecond) // the watch is parked on A
			t0 := time.Now()
			if code, body := call(t, srvB, "DELETE", fmt.Sprintf("/api/repos/octo/ha/builds/%d", build.Number), "tok", ""); code != 200 {
				t.Fatalf("cancel on B: %d %s", code, body)
			}
			select {
			case c := <-got:
				if !c {
					t.Fatal("the watch on A ended without the cancel")
				}
			case <-time.After(20 * time.Second):
				t.Fatal("the cancel on B never reached A")
			}
			lat = append(lat, time.Since(t0))
		}
		summary("cancel, API on B to the runner's watch on A", lat, 2*time.Second)
	})

	t.Run("live log A to C", func(t *testing.T) {
		build, _ := newBuild()
		runner := benchClient(srvA.URL)
		stage, err := runner.Request(ctx, benchFilter)
		if err != nil {
			t.Fatal(err)
		}
		stage.Machine = "lat"
		if err := runner.Accept(ctx, stage); err != nil {
			t.Fatal(err)
		}
		stage.Steps = []*drone.Step{{Number: 1, StageID: stage.ID, Name: "run", Status: drone.StatusPending}}
		stage.Status, stage.Started = drone.StatusRunning, time.Now().Unix()
		if err := runner.Update(ctx, stage); err != nil {
			t.Fatal(err)
		}
		step := stage.Steps[0]
		step.Status, step.Started = drone.StatusRunning, time.Now().Unix()
		if err := runner.UpdateStep(ctx, step); err != nil {
			t.Fatal(err)
		}
		sctx, cancel := context.WithCancel(ctx)
		defer cancel()
		req, _ := http.NewRequestWithContext(sctx, http.MethodGet, fmt.Sprintf("%s/api/stream/octo/ha/%d/1/1", srvC.URL, build.Number), nil)
		req.Header.Set("Authorization", "Bearer tok")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("stream on C: %d", res.StatusCode)
		}
		seen := make(chan string, 100)
		go func() {
			sc := bufio.NewScanner(res.Body)
			for sc.Scan() {
				if line, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
					seen <- line
				}
			}
			close(seen)
		}()
		var lat []time.Duration
		for i := range 50 {
			marker := fmt.Sprintf("line-%03d", i)
			t0 := time.Now()
			if err := runner.Batch(ctx, step.ID, []*drone.Line{{Number: i, Message: marker + "\n"}}); err != nil {
				t.Fatal(err)
			}
			for arrived := false; !arrived; {
				select {
				case line, ok := <-seen:
					if !ok {
						t.Fatal("the stream on C ended")
					}
					arrived = strings.Contains(line, marker)
				case <-time.After(20 * time.Second):
					t.Fatalf("line %d batched on A never reached the viewer on C", i)
				}
			}
			lat = append(lat, time.Since(t0))
		}
		summary("live log, batch on A to the viewer on C", lat, 1500*time.Millisecond)
	})
}
