package sqldb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"
)

// DefaultTestPostgres is the PostgreSQL the test machines run.
const DefaultTestPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// TestDB opens a fresh, isolated database for a test and drops it after:
// for SQLite a file in t.TempDir(), for PostgreSQL a new schema in the
// database at $HANGAR_TEST_POSTGRES (default DefaultTestPostgres) with the
// connection's search_path set to it. An unreachable PostgreSQL fails the
// test: it is a real dependency, not an optional one.
func TestDB(t testing.TB, dialect Dialect) *DB {
	t.Helper()
	ctx := context.Background()
	switch dialect {
	case SQLite:
		db, err := Open(ctx, "sqlite3", "file:"+filepath.Join(t.TempDir(), "test.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	case Postgres:
		dsn := TestPostgresDSN(t)
		db, err := Open(ctx, "postgres", dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	panic(fmt.Sprintf("sqldb: unknown dialect %q", dialect))
}

// TestPostgresDSN creates a fresh schema in the test PostgreSQL
// ($HANGAR_TEST_POSTGRES, default DefaultTestPostgres), drops it after the
// test, and returns a DSN whose search_path is that schema: for tests that
// hand a database to a process rather than open it themselves.
func TestPostgresDSN(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	base := os.Getenv("HANGAR_TEST_POSTGRES")
	if base == "" {
		base = DefaultTestPostgres
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	admin, err := Open(ctx, "postgres", base)
	if err != nil {
		t.Fatalf("PostgreSQL at %s: %v (start it with scripts/test-deps)", base, err)
	}
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		t.Fatal(err)
	}
	// Registered first, so it runs after the caller's own cleanups (which
	// close their connections).
	t.Cleanup(func() {
		admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
