package core

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/services/core/runnertest"
	"github.com/hangar-ci/hangar/shared/sqldb"
)

// TestReplicaLatency runs three core servers over one PostgreSQL schema,
// as three replicas woken through LISTEN/NOTIFY, and measures what crosses
// between them: a stage scheduled on A reaching a poll parked on B, a
// cancel made on B reaching a watch parked on A, and a log batch received
// by A reaching a viewer streaming from C. Each must arrive well before
// the polling safety nets (30 s, 15 s, 5 s) would deliver it; the figures
// are logged, not asserted (make bench has the dispatch figure).
func TestReplicaLatency(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, srvA, st := serveCore(t, sqldb.Postgres, map[string]string{"HANGAR_API_TOKEN": "tok", "DRONE_RPC_SECRET": testRPCSecret})
	srvB, srvC := startReplica(t, a, st), startReplica(t, a, st)
	repo := &model.Repo{Namespace: "octo", Name: "ha", Slug: "octo/ha", SCM: "github", Active: true, Timeout: 60, Secret: "s"}
	if err := st.CreateRepo(ctx, repo); err != nil {
		t.Fatal(err)
	}
	newBuild := func() (*model.Build, *model.Stage, error) {
		build := &model.Build{RepoID: repo.ID, Status: model.StatusPending, Event: "push", Config: "kind: pipeline\n"}
		stage := &model.Stage{Number: 1, Name: "a", Kind: "pipeline", Type: "exec", OS: "linux", Arch: "amd64", Status: model.StatusPending}
		return build, stage, st.CreateBuild(ctx, build, []*model.Stage{stage})
	}
	report := func(what string, lat []time.Duration, limit time.Duration) {
		t.Helper()
		median, p99, worst := runnertest.Summary(lat)
		t.Logf("%s: n=%d median=%v p99=%v worst=%v", what, len(lat), median.Round(10*time.Microsecond), p99.Round(10*time.Microsecond), worst.Round(10*time.Microsecond))
		if worst > limit {
			t.Errorf("%s: slowest %v, want under %v (the polling safety net's pace)", what, worst, limit)
		}
	}
	onA, onB := benchClient(srvA.URL), benchClient(srvB.URL)

	t.Run("dispatch A to B", func(t *testing.T) {
		var lat []time.Duration
		for range 100 {
			var want *model.Stage
			got, d, err := runnertest.Dispatch(ctx, onB, benchFilter, func() error {
				_, stage, err := newBuild()
				want = stage
				if err != nil {
					return err
				}
				return a.runners.queue.Schedule(ctx, stage)
			})
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != want.ID {
				t.Fatalf("poll on B got stage %d, want %d", got.ID, want.ID)
			}
			lat = append(lat, d)
			if _, err := st.AcceptStage(ctx, got.ID, "probe", time.Now().Unix()); err != nil {
				t.Fatal(err)
			}
		}
		report("dispatch, stage scheduled on A to the poll parked on B", lat, 2*time.Second)
	})

	t.Run("cancel B to A", func(t *testing.T) {
		var lat []time.Duration
		for range 10 {
			build, _, err := newBuild()
			if err != nil {
				t.Fatal(err)
			}
			d, err := runnertest.Cancel(ctx, onA, build.ID, func() error {
				if code, body := call(t, srvB, "DELETE", fmt.Sprintf("/api/repos/octo/ha/builds/%d", build.Number), "tok", ""); code != 200 {
					return fmt.Errorf("cancel on B: %d %s", code, body)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			lat = append(lat, d)
		}
		report("cancel, API on B to the watch parked on A", lat, 2*time.Second)
	})

	t.Run("live log A to C", func(t *testing.T) {
		build, _, err := newBuild()
		if err != nil {
			t.Fatal(err)
		}
		stage, err := onA.Request(ctx, benchFilter)
		if err != nil {
			t.Fatal(err)
		}
		step, err := runnertest.RunOneStep(ctx, onA, stage, "probe")
		if err != nil {
			t.Fatal(err)
		}
		url := fmt.Sprintf("%s/api/stream/octo/ha/%d/1/1", srvC.URL, build.Number)
		lat, err := runnertest.LiveLog(ctx, onA, step, url, "tok", 50, 20*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		report("live log, batch on A to the viewer on C", lat, 2*time.Second)
	})
}
