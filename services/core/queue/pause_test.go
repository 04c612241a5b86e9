package queue

import (
	"context"
	"testing"
	"time"

	"github.com/hangar-ci/hangar/services/core/events"
	"github.com/hangar-ci/hangar/services/core/model"
)

// TestPauseHoldsParkedPolls pauses the queue with a stage pending and a
// poll parked: wake-ups hand nothing out and the queue explains "queue
// paused"; the resume hands the stage to the parked poll at once (the
// rescan is an hour away, so only the resume's wake-up can do it).
func TestPauseHoldsParkedPolls(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := &memStore{}
	q := New(st, events.NewLocal(), nil)
	q.Rescan = time.Hour
	if err := q.SetPaused(ctx, true); err != nil {
		t.Fatal(err)
	}
	f := Filter{Kind: "pipeline", Type: "exec", OS: "linux", Arch: "amd64"}
	stage := &model.Stage{ID: 1, RepoID: 1, Name: "a", Kind: "pipeline", Type: "exec", OS: "linux", Arch: "amd64", Status: model.StatusPending}
	st.stages = []*model.Stage{stage}

	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	got := make(chan *model.Stage, 1)
	go func() {
		if s, err := q.Request(pctx, f); err == nil {
			got <- s
		}
	}()
	for range 5 {
		if err := q.Schedule(ctx, nil); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	select {
	case s := <-got:
		t.Fatalf("paused queue handed out stage %d", s.ID)
	default:
	}
	reasons, err := q.Explain(ctx, []*model.Stage{stage})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := reasons[0], "queue paused"; got != want {
		t.Errorf("reason while paused: got %q, want %q", got, want)
	}

	if err := q.SetPaused(ctx, false); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-got:
		if s.ID != stage.ID {
			t.Errorf("resumed queue handed stage %d, want %d", s.ID, stage.ID)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the resume did not wake the parked poll")
	}
	if reasons, err = q.Explain(ctx, []*model.Stage{stage}); err != nil || reasons[0] == "queue paused" {
		t.Errorf("reason after resume: %q, %v", reasons[0], err)
	}
}
