package sqldb

import (
	"context"
	"sync"
	"testing"
	"testing/fstest"
)

// TestMigrateConcurrently migrates one fresh PostgreSQL schema from three
// handles at once, as three replicas starting together: none fails and
// each migration is recorded once.
func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fsys := fstest.MapFS{
		"001_a.sql": {Data: []byte("CREATE TABLE a (id {{autoid}}, v TEXT);\nCREATE INDEX a_v ON a (v)")},
		"002_b.sql": {Data: []byte("CREATE TABLE b (id {{autoid}})")},
	}
	for range 3 {
		dsn := TestPostgresDSN(t)
		var wg sync.WaitGroup
		for range 3 {
			db, err := Open(ctx, "postgres", dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			wg.Go(func() {
				if err := db.Migrate(ctx, fsys, "test_migrations"); err != nil {
					t.Errorf("replica's migration: %v", err)
				}
			})
		}
		wg.Wait()
		db, err := Open(ctx, "postgres", dsn)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.QueryRow("SELECT COUNT(*) FROM test_migrations").Scan(&n); err != nil {
			t.Fatal(err)
		}
		db.Close()
		if n != 2 {
			t.Errorf("migrations recorded: got %d, want 2", n)
		}
	}
}
