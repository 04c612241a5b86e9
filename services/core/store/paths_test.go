package store

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hangar-ci/hangar/services/core/model"
)

// TestPathReport keeps one report per build on both databases.
func TestPathReport(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := newStore(t, d)
			r := newRepo(t, s, "mono")
			b := &model.Build{RepoID: r.ID, Status: model.StatusPending, Event: "push"}
			if err := s.CreateBuild(ctx, b, nil); err != nil {
				t.Fatal(err)
			}
			if _, err := s.FindPathReport(ctx, b.ID); !errors.Is(err, ErrNotFound) {
				t.Errorf("before saving: got %v, want ErrNotFound", err)
			}
			want := &model.PathReport{BuildID: b.ID, ChangedFiles: 3, Incomplete: true, Note: "compare capped", Decisions: []model.PathDecision{
				{Pipeline: "api", Run: true}, {Pipeline: "api", Step: "docs", Reason: "skipped: no change under docs/**"},
			}}
			if err := s.SavePathReport(ctx, want); err != nil {
				t.Fatal(err)
			}
			got, err := s.FindPathReport(ctx, b.ID)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("report (-want +got):\n%s", d)
			}
			if err := s.SavePathReport(ctx, want); !errors.Is(err, ErrConflict) {
				t.Errorf("second save: got %v, want ErrConflict", err)
			}
		})
	}
}
