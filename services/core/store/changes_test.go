package store

import (
	"context"
	"slices"
	"testing"

	"github.com/hangar-ci/hangar/services/core/model"
)

func TestChangedBuilds(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := newStore(t, d)
			r := newRepo(t, s, "feed")
			mk := func(updated int64) (*model.Build, *model.Stage) {
				t.Helper()
				b := &model.Build{RepoID: r.ID, Status: model.StatusPending, Created: updated, Updated: updated}
				st := &model.Stage{Number: 1, Name: "default", Status: model.StatusPending, Created: updated, Updated: updated}
				if err := s.CreateBuild(ctx, b, []*model.Stage{st}); err != nil {
					t.Fatal(err)
				}
				return b, st
			}
			old, oldStage := mk(100)
			recent, _ := mk(200)
			changed := func(since int64) ([]int64, map[int64]int64) {
				t.Helper()
				list, err := s.ChangedBuilds(ctx, since, 10)
				if err != nil {
					t.Fatal(err)
				}
				var numbers []int64
				prints := map[int64]int64{}
				for _, c := range list {
					numbers = append(numbers, c.Build.Number)
					prints[c.Build.Number] = c.Print
				}
				return numbers, prints
			}
			got, before := changed(150)
			if want := []int64{recent.Number}; !slices.Equal(got, want) {
				t.Fatalf("changed since 150: got builds %v, want %v", got, want)
			}
			// A stage's change alone brings its build back, with a new print.
			oldStage.Status, oldStage.Updated = model.StatusRunning, 300
			if err := s.UpdateStage(ctx, oldStage); err != nil {
				t.Fatal(err)
			}
			got, after := changed(150)
			if want := []int64{old.Number, recent.Number}; !slices.Equal(got, want) {
				t.Fatalf("after a stage update: got builds %v, want %v (by id)", got, want)
			}
			if after[recent.Number] != before[recent.Number] {
				t.Errorf("print of an unchanged build moved: %d then %d", before[recent.Number], after[recent.Number])
			}
			_, again := changed(150)
			old.Status, old.Updated = model.StatusRunning, 300
			if err := s.UpdateBuild(ctx, old); err != nil {
				t.Fatal(err)
			}
			_, last := changed(150)
			if last[old.Number] == again[old.Number] {
				t.Errorf("print of a build whose row changed: got %d both times, want a new one", last[old.Number])
			}
			if got, _ := changed(400); len(got) != 0 {
				t.Errorf("changed since 400: got %v, want none", got)
			}
		})
	}
}
