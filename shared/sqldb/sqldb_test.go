package sqldb

import (
	"context"
	"testing"
	"testing/fstest"
)

func TestMigrateAndRebind(t *testing.T) {
	t.Parallel()
	migrations := fstest.MapFS{
		"001_items.sql": {Data: []byte("CREATE TABLE items (id {{autoid}}, name TEXT NOT NULL UNIQUE);\nCREATE INDEX items_name ON items (name);\n")},
		"002_seed.sql":  {Data: []byte("INSERT INTO items (name) VALUES ('first')")},
	}
	for _, d := range []Dialect{SQLite, Postgres} {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			db := TestDB(t, d)
			ctx := context.Background()
			for range 2 { // applying twice must be a no-op the second time
				if err := db.Migrate(ctx, migrations, "migrations"); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := db.ExecContext(ctx, db.Rebind("INSERT INTO items (name) VALUES (?)"), "second"); err != nil {
				t.Fatal(err)
			}
			var n int
			if err := db.QueryRowContext(ctx, db.Rebind("SELECT COUNT(*) FROM items WHERE name IN (?, ?)"), "first", "second").Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 2 {
				t.Errorf("rows = %d, want 2 (seed applied once plus one insert)", n)
			}
		})
	}
}

func TestRebind(t *testing.T) {
	t.Parallel()
	pg := &DB{Dialect: Postgres}
	if got, want := pg.Rebind("a = ? AND b = ?"), "a = $1 AND b = $2"; got != want {
		t.Errorf("Rebind = %q, want %q", got, want)
	}
	lite := &DB{Dialect: SQLite}
	if got, want := lite.Rebind("a = ?"), "a = ?"; got != want {
		t.Errorf("SQLite Rebind = %q, want %q", got, want)
	}
}
