// Package sqldb opens Hangar's databases — SQLite by default (pure Go, no
// cgo), PostgreSQL for several replicas — and applies a service's embedded
// migrations. Queries are written once with ? placeholders; Rebind turns
// them into PostgreSQL's $n form.
package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "modernc.org/sqlite"             // registers "sqlite"
)

// Dialect names a supported database.
type Dialect string

// The supported dialects, named as Drone's DRONE_DATABASE_DRIVER values.
const (
	SQLite   Dialect = "sqlite3"
	Postgres Dialect = "postgres"
)

// DB is a database handle that knows its dialect.
type DB struct {
	*sql.DB
	Dialect Dialect
}

// Open connects to driver ("sqlite3"/"sqlite" or "postgres") at dsn and
// checks the connection. SQLite runs in WAL mode with a busy timeout and
// foreign keys on; it allows one writer, so the pool is sized for that.
func Open(ctx context.Context, driver, dsn string) (*DB, error) {
	var db *DB
	switch driver {
	case "sqlite3", "sqlite":
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		dsn += sep + "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
		h, err := sql.Open("sqlite", dsn)
		if err != nil {
			return nil, err
		}
		h.SetMaxOpenConns(1)
		db = &DB{DB: h, Dialect: SQLite}
	case "postgres", "postgresql", "pgx":
		h, err := sql.Open("pgx", dsn)
		if err != nil {
			return nil, err
		}
		// Keep as many idle connections as open ones: database/sql keeps 2
		// by default, so under concurrent requests every other query would
		// open a new PostgreSQL backend.
		h.SetMaxOpenConns(16)
		h.SetMaxIdleConns(16)
		h.SetConnMaxIdleTime(5 * time.Minute)
		db = &DB{DB: h, Dialect: Postgres}
	default:
		return nil, fmt.Errorf("database driver %q not supported: use sqlite3 or postgres", driver)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connecting to %s: %w", db.Dialect, err)
	}
	return db, nil
}

// Rebind rewrites ? placeholders to $1, $2, … for PostgreSQL. It does not
// look inside string literals: queries must pass values as arguments.
func (db *DB) Rebind(query string) string {
	if db.Dialect != Postgres || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	n := 0
	for _, c := range query {
		if c == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Migrate applies, in name order, every *.sql file of fsys not yet
// recorded in the table named by table, each in its own transaction. A file
// may hold several statements separated by ";\n". Files may use the token
// {{autoid}} for an auto-increment primary key column type, which becomes
// INTEGER PRIMARY KEY AUTOINCREMENT on SQLite and BIGSERIAL PRIMARY KEY on
// PostgreSQL.
func (db *DB) Migrate(ctx context.Context, fsys fs.FS, table string) error {
	if err := db.createMigrations(ctx, table); err != nil {
		return fmt.Errorf("migrations table: %w", err)
	}
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return err
	}
	slices.Sort(names)
	for _, name := range names {
		if err := db.apply(ctx, fsys, table, name); err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	return nil
}

// createMigrations creates the table of applied migrations. On
// PostgreSQL it holds the migrations' advisory lock: two replicas running
// CREATE TABLE IF NOT EXISTS at once can otherwise both try to create it,
// and the loser fails on PostgreSQL's catalog.
func (db *DB) createMigrations(ctx context.Context, table string) error {
	tx, err := db.migrationTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS "+table+" (name TEXT PRIMARY KEY, applied BIGINT NOT NULL)"); err != nil {
		return err
	}
	return tx.Commit()
}

// migrationTx begins a transaction that, on PostgreSQL, holds the
// migrations' advisory lock: replicas starting together must not apply a
// migration twice.
func (db *DB) migrationTx(ctx context.Context) (*sql.Tx, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	if db.Dialect == Postgres {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(7262839)"); err != nil {
			tx.Rollback()
			return nil, err
		}
	}
	return tx, nil
}

func (db *DB) apply(ctx context.Context, fsys fs.FS, table, name string) error {
	tx, err := db.migrationTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, db.Rebind("SELECT COUNT(*) FROM "+table+" WHERE name = ?"), name).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return err
	}
	autoid := "INTEGER PRIMARY KEY AUTOINCREMENT"
	if db.Dialect == Postgres {
		autoid = "BIGSERIAL PRIMARY KEY"
	}
	for stmt := range strings.SplitSeq(strings.ReplaceAll(string(b), "{{autoid}}", autoid), ";\n") {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("%w in %q", err, strings.TrimSpace(stmt))
		}
	}
	if _, err := tx.ExecContext(ctx, db.Rebind("INSERT INTO "+table+" (name, applied) VALUES (?, ?)"), name, time.Now().Unix()); err != nil {
		return err
	}
	return tx.Commit()
}
