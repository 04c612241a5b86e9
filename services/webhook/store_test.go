package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/hangar-ci/hangar/shared/sqldb"
	"github.com/hangar-ci/hangar/shared/wire"
)

// TestStore exercises the one store on both databases: duplicates,
// group order, redelivery rules and retention.
func TestStore(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			st, err := openStore(ctx, sqldb.TestDB(t, d))
			if err != nil {
				t.Fatal(err)
			}
			old := time.Now().Add(-48 * time.Hour)
			insert := func(p wire.WebhookPayload, at time.Time) []int64 {
				body, _ := json.Marshal(p)
				evs, err := fromPayload(p, p.Event, body, at)
				if err != nil {
					t.Fatal(err)
				}
				routes := make([][]string, len(evs))
				for i := range routes {
					routes[i] = []string{"a"}
				}
				ids, err := st.Insert(ctx, evs, routes)
				if err != nil {
					t.Fatal(err)
				}
				return ids
			}
			first := insert(buildEvent(wire.ActionUpdated, 1, "running", 2), old)
			if again := insert(buildEvent(wire.ActionUpdated, 1, "running", 2), old); again[0] != 0 {
				t.Errorf("duplicate insert id = %d, want 0", again[0])
			}
			done := insert(buildEvent(wire.ActionUpdated, 1, "success", 3), old)
			if len(done) != 2 || done[1] == 0 {
				t.Fatalf("terminal insert ids = %v, want the event and a build:completed", done)
			}
			if late := insert(buildEvent(wire.ActionUpdated, 1, "success", 4), old); late[1] != 0 {
				t.Errorf("second terminal event stored another build:completed (id %d)", late[1])
			}
			insert(buildEvent(wire.ActionCreated, 2, "pending", 1), time.Now())

			// Only the oldest pending delivery of each build is due.
			due, err := st.Due(ctx, "a", time.Now(), 10)
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, dl := range due {
				keys = append(keys, dl.Event.Key)
			}
			if len(keys) != 2 || keys[0] != "build:updated:1:running:2" || keys[1] != "build:created:2:pending:1" {
				t.Errorf("due = %v, want the head of build 1 and of build 2", keys)
			}
			if _, err := st.Redeliver(ctx, due[0].ID, time.Now(), func(string) bool { return true }); !errors.Is(err, errPending) {
				t.Errorf("Redeliver(pending) = %v, want errPending", err)
			}
			if _, err := st.Redeliver(ctx, 9999, time.Now(), func(string) bool { return true }); !errors.Is(err, errNotFound) {
				t.Errorf("Redeliver(unknown) = %v, want errNotFound", err)
			}

			// Build 1's events go one by one, in order; its last is
			// dead-lettered. Build 2's stays pending.
			for {
				due, err := st.Due(ctx, "a", time.Now(), 10)
				if err != nil || len(due) == 0 || due[0].Event.BuildID != 1 {
					break
				}
				state := StateDelivered
				if due[0].Event.Key == "build:updated:1:success:4" {
					state = StateDead
				}
				if err := st.Record(ctx, due[0].ID, outcome{State: state, Attempts: 1, NextAt: time.Now(), Now: time.Now()}); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := st.Redeliver(ctx, first[0], time.Now(), func(string) bool { return false }); !errors.Is(err, errNoSink) {
				t.Errorf("Redeliver(sink gone) = %v, want errNoSink", err)
			}
			n, err := st.Prune(ctx, time.Now().Add(-24*time.Hour), 500)
			if err != nil {
				t.Fatal(err)
			}
			// Build 1's three delivered old events go; its dead one and
			// build 2's recent one stay.
			if n != 3 {
				t.Errorf("pruned %d events, want 3", n)
			}
			list, err := st.Events(ctx, 0, 50)
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != 2 {
				t.Errorf("events left = %d, want 2", len(list))
			}
		})
	}
}
