package main

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/hangar-ci/hangar/services/core/coretest"
	"github.com/hangar-ci/hangar/shared/sqldb"
	"github.com/hangar-ci/hangar/shared/wire"
)

// TestCoreCronTwoReplicas runs two `hangar all` processes on one
// PostgreSQL database, both ticking every 50ms: a due cron job makes one
// build per tick, not one per replica.
func TestCoreCronTwoReplicas(t *testing.T) {
	t.Parallel()
	dsn := corePostgresSchema(t)
	extra := map[string]string{"DRONE_DATABASE_DATASOURCE": dsn, "DRONE_CRON_INTERVAL": "50ms"}
	a := startCore(t, sqldb.Postgres, extra)
	b := startCore(t, sqldb.Postgres, extra)
	a.activate("github", "Codertocat/cli", nil)
	for _, h := range []*coreHangar{a, b} { // each replica asks its own fake GitHub for the branch head
		h.GitHub.SetBranch("Codertocat/cli", "master", corePushSHA)
		h.GitHub.SetCommit("Codertocat/cli", corePushSHA, coretest.Commit{Message: "tip"})
	}
	var c wire.Build // any JSON answer will do
	if code := a.api(http.MethodPost, "/repos/Codertocat/cli/cron", map[string]any{"name": "hourly", "expr": "@every 1h", "branch": "master"}, &c); code != http.StatusOK {
		t.Fatalf("creating the cron job: got %d, want 200", code)
	}
	cronBuilds := func() int {
		n := 0
		for _, b := range a.builds("Codertocat/cli") {
			if b.Event == "cron" && b.Cron == "hourly" {
				n++
			}
		}
		return n
	}
	for tick := 1; tick <= 3; tick++ {
		// Make the job due now; both replicas see it on their next tick.
		if _, err := a.DB(t).ExecContext(context.Background(), "UPDATE core_crons SET next_run = $1", time.Now().Unix()-1); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for cronBuilds() < tick && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(300 * time.Millisecond) // six more ticks of each replica
		if got := cronBuilds(); got != tick {
			t.Fatalf("after due tick %d: got %d cron builds, want %d", tick, got, tick)
		}
	}
}
