package core

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/services/core/store"
	"github.com/hangar-ci/hangar/shared/server"
	"github.com/hangar-ci/hangar/shared/sqldb"
)

// TestReaper moves the clock past the dead-runner time and the build
// timeout: a stage accepted but never started is offered again, a running
// stage of a silent runner ends in error naming it (and the build
// finishes), a build past its repository's timeout is killed.
func TestReaper(t *testing.T) {
	t.Parallel()
	for _, d := range []sqldb.Dialect{sqldb.SQLite, sqldb.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			st, err := store.New(ctx, sqldb.TestDB(t, d))
			if err != nil {
				t.Fatal(err)
			}
			s, err := newService(Options{DatabaseDriver: "sqlite3", DatabaseDatasource: "x", ServerProto: "http", ConfigTimeout: 1,
				ConvertTimeout: 1, ValidateTimeout: 1, SCMTimeout: 1, CacheSize: 1, MaxHookBody: 1}, server.Env{}, st)
			if err != nil {
				t.Fatal(err)
			}
			clock := time.Unix(1_800_000_000, 0)
			s.trigger.now = func() time.Time { return clock }
			const dead = time.Minute
			repo := &model.Repo{Namespace: "o", Name: "r", Slug: "o/r", SCM: "github", Active: true, Timeout: 5, Secret: "s"}
			if err := st.CreateRepo(ctx, repo); err != nil {
				t.Fatal(err)
			}
			newBuild := func() (*model.Build, *model.Stage) {
				b := &model.Build{RepoID: repo.ID, Status: model.StatusPending, Event: "push"}
				x := &model.Stage{Number: 1, Name: "a", Status: model.StatusPending, OnSuccess: true}
				if err := st.CreateBuild(ctx, b, []*model.Stage{x}); err != nil {
					t.Fatal(err)
				}
				return b, x
			}
			reload := func(id int64) *model.Stage {
				x, err := st.FindStage(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				return x
			}
			// Accepted, never started: released and offered again.
			_, never := newBuild()
			if _, err := st.AcceptStage(ctx, never.ID, "gone", clock.Unix()); err != nil {
				t.Fatal(err)
			}
			// Started on a runner that then went silent.
			silentBuild, silent := newBuild()
			held, err := st.AcceptStage(ctx, silent.ID, "silent-runner", clock.Unix())
			if err != nil {
				t.Fatal(err)
			}
			if err := (lifecycle{s}).Start(ctx, held); err != nil {
				t.Fatal(err)
			}
			steps := []*model.Step{
				{StageID: held.ID, BuildID: held.BuildID, Number: 1, Name: "one", Status: model.StatusRunning, Started: clock.Unix()},
				{StageID: held.ID, BuildID: held.BuildID, Number: 2, Name: "two", Status: model.StatusPending},
			}
			if err := st.SaveSteps(ctx, steps); err != nil {
				t.Fatal(err)
			}
			clock = clock.Add(dead - time.Second)
			if err := s.reapOnce(ctx, dead); err != nil {
				t.Fatal(err)
			}
			if x := reload(never.ID); x.Machine != "gone" {
				t.Fatalf("reaped before the dead-runner time: %+v", x)
			}
			clock = clock.Add(2 * time.Second)
			if err := s.reapOnce(ctx, dead); err != nil {
				t.Fatal(err)
			}
			if x := reload(never.ID); x.Machine != "" || x.Status != model.StatusPending {
				t.Errorf("never-started stage: machine %q status %s, want released and pending", x.Machine, x.Status)
			}
			if ok, err := st.OfferStage(ctx, never.ID, clock.Unix(), clock.Unix()-60); !ok || err != nil {
				t.Errorf("released stage not offered again: %v %v", ok, err)
			}
			x := reload(silent.ID)
			if x.Status != model.StatusError || !strings.Contains(x.Error, "silent-runner") {
				t.Errorf("silent runner's stage: %s %q, want error naming the runner", x.Status, x.Error)
			}
			if got, _ := st.ListSteps(ctx, silentBuild.ID); len(got) != 2 || got[0].Status != model.StatusError || got[1].Status != model.StatusSkipped || got[0].Stopped == 0 {
				t.Errorf("silent runner's steps: %+v %+v, want error and skipped", got[0], got[len(got)-1])
			}
			if b, _ := st.FindBuildID(ctx, silentBuild.ID); b.Status != model.StatusError || b.Finished == 0 {
				t.Errorf("silent runner's build: %s finished %d, want error and finished", b.Status, b.Finished)
			}
			// A build running past its repository's timeout (5 min) is killed,
			// though its runner keeps beating.
			slowBuild, slow := newBuild()
			held, _ = st.AcceptStage(ctx, slow.ID, "slow", clock.Unix())
			if err := (lifecycle{s}).Start(ctx, held); err != nil {
				t.Fatal(err)
			}
			clock = clock.Add(5*time.Minute + time.Second)
			if err := st.Beat(ctx, slowBuild.ID, clock.Unix()); err != nil {
				t.Fatal(err)
			}
			if err := s.reapOnce(ctx, dead); err != nil {
				t.Fatal(err)
			}
			b, _ := st.FindBuildID(ctx, slowBuild.ID)
			if b.Status != model.StatusKilled || !strings.Contains(b.Error, "timed out") || reload(slow.ID).Status != model.StatusKilled {
				t.Errorf("timed-out build: %s %q, stage %s; want killed", b.Status, b.Error, reload(slow.ID).Status)
			}
		})
	}
}
