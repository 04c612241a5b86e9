package store

import (
	"context"
	"testing"

	"github.com/hangar-ci/hangar/services/core/model"
)

// BenchmarkChangedBuilds is the event stream's read, once a second per
// process while someone listens, over 20,000 builds of which 10 changed
// recently, beside ListBuilds of one page (what each page poll costs).
func BenchmarkChangedBuilds(b *testing.B) {
	for _, d := range dialects {
		b.Run(string(d), func(b *testing.B) {
			ctx := context.Background()
			s := newStore(b, d)
			r := newRepo(b, s, "bench")
			for i := range 20000 {
				at := int64(1000)
				if i >= 19990 {
					at = 5000
				}
				bd := &model.Build{RepoID: r.ID, Status: model.StatusPending, Created: at, Updated: at}
				st := []*model.Stage{{Number: 1, Name: "a", Status: model.StatusPending, Updated: at}, {Number: 2, Name: "b", Status: model.StatusWaiting, Updated: at}}
				if err := s.CreateBuild(ctx, bd, st); err != nil {
					b.Fatal(err)
				}
			}
			// Statistics as a running database has them (autovacuum, or
			// SQLite's optimize).
			if _, err := s.db.ExecContext(ctx, "ANALYZE"); err != nil {
				b.Fatal(err)
			}
			b.Run("baseline-list-builds-page", func(b *testing.B) {
				for b.Loop() {
					if list, err := s.ListBuilds(ctx, r.ID, 25, 0); err != nil || len(list) != 25 {
						b.Fatalf("got %d, %v", len(list), err)
					}
				}
			})
			b.Run("changed-builds", func(b *testing.B) {
				for b.Loop() {
					if list, err := s.ChangedBuilds(ctx, 4995, 500); err != nil || len(list) != 10 {
						b.Fatalf("got %d, %v", len(list), err)
					}
				}
			})
		})
	}
}
