package store

import (
	"context"
	"testing"
	"time"

	"github.com/hangar-ci/hangar/services/core/model"
)

// BenchmarkCreateBuild measures the store alone: one build with three
// stages per transaction, from concurrent writers; the ceiling for the
// end-to-end hook benchmark in services/hangar.
func BenchmarkCreateBuild(b *testing.B) {
	for _, d := range dialects {
		b.Run(string(d), func(b *testing.B) {
			s := newStore(b, d)
			r := newRepo(b, s, "bench")
			ctx := context.Background()
			b.SetParallelism(8)
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					build := &model.Build{RepoID: r.ID, Status: model.StatusPending, Event: "push", After: "6113728f27ae82c7b1a177c8d03f9e96e0adf246"}
					stages := []*model.Stage{
						{Number: 1, Name: "build", Status: model.StatusPending},
						{Number: 2, Name: "test", Status: model.StatusWaiting, DependsOn: []string{"build"}},
						{Number: 3, Name: "publish", Status: model.StatusWaiting, DependsOn: []string{"build", "test"}},
					}
					if err := s.CreateBuild(ctx, build, stages); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "builds/s")
		})
	}
}
