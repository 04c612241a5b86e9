package store

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/hangar-ci/hangar/services/core/model"
)

// pendingStage stores a repository named slug with one build of one
// pending stage, its YAML kept.
func pendingStage(t *testing.T, s *Store, slug string) (*model.Build, *model.Stage) {
	t.Helper()
	r := newRepo(t, s, slug)
	b := &model.Build{RepoID: r.ID, Status: model.StatusPending, Config: "kind: pipeline\n"}
	st := &model.Stage{Number: 1, Name: "a", Status: model.StatusPending}
	if err := s.CreateBuild(context.Background(), b, []*model.Stage{st}); err != nil {
		t.Fatal(err)
	}
	return b, st
}

// TestClaims checks that an offer and an accept each go to one caller
// only, however many race for them, and that a released stage is offered
// again.
func TestClaims(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := newStore(t, d)
			b, st := pendingStage(t, s, "claims")
			if cfg, err := s.FindBuildConfig(ctx, b.ID); err != nil || cfg != "kind: pipeline\n" {
				t.Errorf("stored config: got %q, %v", cfg, err)
			}
			var offers, accepts atomic.Int64
			var wg sync.WaitGroup
			for i := range 16 {
				wg.Go(func() {
					if ok, err := s.OfferStage(ctx, st.ID, 100, 40); err != nil {
						t.Error(err)
					} else if ok {
						offers.Add(1)
					}
					_, err := s.AcceptStage(ctx, st.ID, string(rune('a'+i)), 100)
					switch {
					case err == nil:
						accepts.Add(1)
					case !errors.Is(err, ErrConflict):
						t.Errorf("losing accept: got %v, want ErrConflict", err)
					}
				})
			}
			wg.Wait()
			if offers.Load() != 1 || accepts.Load() != 1 {
				t.Errorf("got %d offers and %d accepts, want 1 and 1", offers.Load(), accepts.Load())
			}
			if _, err := s.AcceptStage(ctx, 999999, "x", 1); !errors.Is(err, ErrNotFound) {
				t.Errorf("unknown stage: got %v, want ErrNotFound", err)
			}
			stale, err := s.ListStale(ctx, 101)
			if err != nil || len(stale) != 1 {
				t.Fatalf("stale: got %v, %v; want the accepted stage", stale, err)
			}
			if err := s.ReleaseStage(ctx, stale[0], 200); err != nil {
				t.Fatal(err)
			}
			if ok, err := s.OfferStage(ctx, st.ID, 201, 150); !ok || err != nil {
				t.Errorf("released stage not offered again: %v, %v", ok, err)
			}
			// Runners: a second sighting within 30 s writes nothing.
			for _, now := range []int64{100, 110, 140} {
				if err := s.SeeRunner(ctx, "exec", `{"type":"exec"}`, now); err != nil {
					t.Fatal(err)
				}
			}
			if got, err := s.ListRunners(ctx, 131); err != nil || len(got) != 1 {
				t.Errorf("runners seen since 131: got %v, %v; want the one seen at 140", got, err)
			}
			if got, _ := s.ListRunners(ctx, 141); len(got) != 0 {
				t.Errorf("runners seen since 141: got %v, want none", got)
			}
		})
	}
}

// TestLogLines checks the live lines: stored by position, a resent batch
// ignored, and nothing past the byte limit.
func TestLogLines(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := newStore(t, d)
			b, st := pendingStage(t, s, "logs")
			step := &model.Step{StageID: st.ID, BuildID: b.ID, Number: 1, Name: "s", Status: model.StatusRunning}
			if err := s.SaveSteps(ctx, []*model.Step{step}); err != nil {
				t.Fatal(err)
			}
			batch := []*model.Line{{Pos: 0, Out: "12345\n"}, {Pos: 1, Out: "12345\n"}}
			if n, err := s.AppendLines(ctx, step.ID, batch, 18); n != 2 || err != nil {
				t.Fatalf("first batch: kept %d, %v", n, err)
			}
			// The limit is 18 bytes: 12 stored, 5 more fit, 2 more do not.
			if n, err := s.AppendLines(ctx, step.ID, []*model.Line{{Pos: 2, Out: "1234\n"}, {Pos: 3, Out: "x\n"}}, 18); n != 1 || err != nil {
				t.Errorf("second batch: kept %d, %v; want 1", n, err)
			}
			got, err := s.ListLines(ctx, step.ID, 1, 10)
			if err != nil || len(got) != 2 || got[0].Pos != 1 || got[1].Out != "1234\n" {
				t.Errorf("lines from 1: got %+v, %v", got, err)
			}
			if err := s.DeleteLines(ctx, st.ID); err != nil {
				t.Fatal(err)
			}
			if got, _ := s.ListLines(ctx, step.ID, 0, 10); len(got) != 0 {
				t.Errorf("lines after the stage ended: got %d, want none", len(got))
			}
			// Saving the steps again updates them by number.
			step2 := &model.Step{StageID: st.ID, BuildID: b.ID, Number: 1, Name: "s", Status: model.StatusPassing, ExitCode: 0, Stopped: 9}
			if err := s.SaveSteps(ctx, []*model.Step{step2}); err != nil || step2.ID != step.ID || step2.Version != 2 {
				t.Errorf("resaved step: id %d version %d, %v; want id %d version 2", step2.ID, step2.Version, err, step.ID)
			}
		})
	}
}
