package events

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hangar-ci/hangar/shared/sqldb"
)

// waitFor fails t unless ok turns true within d.
func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	for end := time.Now().Add(d); !ok(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("%s: not within %v", what, d)
		}
	}
}

func woken(ch <-chan struct{}, d time.Duration) bool {
	select {
	case <-ch:
		return true
	case <-time.After(d):
		return false
	}
}

// TestPostgres runs two buses over one PostgreSQL schema, as two replicas:
// a publish on one wakes the other's subscriber of that topic only; a
// listener whose connection is killed reports not ready, comes back, and
// wakes every subscriber so a notification lost meanwhile only delays.
func TestPostgres(t *testing.T) {
	t.Parallel()
	db := sqldb.TestDB(t, sqldb.Postgres)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	a, err := NewPostgres(ctx, db.DB, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewPostgres(ctx, db.DB, nil)
	if err != nil {
		t.Fatal(err)
	}
	b.Retry = 300 * time.Millisecond
	for _, p := range []*Postgres{a, b} {
		waitFor(t, 5*time.Second, "listener up", func() bool { return p.Ready(ctx) == nil })
	}
	q, stopQ := b.Subscribe(Queue)
	defer stopQ()
	other, stopO := b.Subscribe(Build(9))
	defer stopO()
	if err := a.Publish(ctx, Queue); err != nil {
		t.Fatal(err)
	}
	if !woken(q, 2*time.Second) {
		t.Fatal("a publish on A did not wake the subscriber on B")
	}
	if woken(other, 200*time.Millisecond) {
		t.Error("a subscriber of another topic was woken")
	}

	if err := b.Interrupt(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "B's listener reported down", func() bool { return b.Ready(ctx) != nil })
	waitFor(t, 5*time.Second, "B's listener back", func() bool { return b.Ready(ctx) == nil })
	// The re-scan after reconnecting woke every subscriber of B.
	if !woken(other, 2*time.Second) {
		t.Error("no re-scan wake-up after the listener came back")
	}
	for len(q) > 0 {
		<-q
	}
	if err := a.Publish(ctx, Queue); err != nil {
		t.Fatal(err)
	}
	if !woken(q, 2*time.Second) {
		t.Fatal("a publish on A did not reach B after B's listener reconnected")
	}
}

func TestChannelName(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("s", 80)
	for _, tc := range []struct{ schema, want string }{
		{"public", "hangar_events_public"},
		{long, channelName(long)},
	} {
		got := channelName(tc.schema)
		if got != tc.want || len(got) > 63 {
			t.Errorf("channelName(%q) = %q (%d bytes), want %q within 63 bytes", tc.schema, got, len(got), tc.want)
		}
	}
	if channelName(long) == channelName(long+"x") {
		t.Error("two long schemas share a channel")
	}
}
