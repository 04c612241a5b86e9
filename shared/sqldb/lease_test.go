package sqldb

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestSingleton starts a job from three "replicas" at once on PostgreSQL:
// exactly one runs it, and once it ends the next call runs again (the
// lock is released). On SQLite every call runs.
func TestSingleton(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		dialect Dialect
		want    int32
	}{{Postgres, 1}, {SQLite, 3}} {
		t.Run(string(tc.dialect), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := TestDB(t, tc.dialect)
			// Distinct keys per dialect run: the PostgreSQL test database is shared.
			key := time.Now().UnixNano()
			var ran atomic.Int32
			release := make(chan struct{})
			var skipped atomic.Int32
			var wg sync.WaitGroup
			for range 3 {
				wg.Go(func() {
					ok, err := db.Singleton(ctx, key, func(context.Context) error {
						ran.Add(1)
						<-release
						return nil
					})
					if err != nil {
						t.Error(err)
					}
					if !ok {
						skipped.Add(1)
					}
				})
			}
			// The job holds until every call has either run or been refused.
			for end := time.Now().Add(10 * time.Second); ran.Load()+skipped.Load() < 3 && time.Now().Before(end); {
				time.Sleep(10 * time.Millisecond)
			}
			close(release)
			wg.Wait()
			if got := ran.Load(); got != tc.want {
				t.Errorf("runs: got %d, want %d", got, tc.want)
			}
			ok, err := db.Singleton(ctx, key, func(context.Context) error { return nil })
			if err != nil || !ok {
				t.Errorf("after release: ran %v, %v; want ran", ok, err)
			}
		})
	}
}
