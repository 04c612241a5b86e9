// Package store keeps the core server's repositories, builds and stages in
// SQLite (default) or PostgreSQL through shared/sqldb, with embedded
// migrations. Build numbers come from a per-repository counter incremented
// in the same transaction that writes the build and its stages, so numbers
// never repeat and never skip, whatever the concurrency.
package store

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/hangar-ci/hangar/shared/sqldb"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Errors the store returns; callers map them to HTTP statuses.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("changed concurrently or already exists")
)

// Store is the core server's database.
type Store struct {
	db *sqldb.DB

	mu      sync.Mutex   // guards queue and leading
	queue   []*createReq // builds waiting for a transaction
	leading bool         // a caller is writing the queue

	stmts map[string]*sql.Stmt // SQLite's prepared statements, by query; read-only after New
}

// New applies the migrations to db and returns the store over it.
func New(ctx context.Context, db *sqldb.DB) (*Store, error) {
	sub, err := subFS()
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx, sub, "core_migrations"); err != nil {
		return nil, err
	}
	s := &Store{db: db}
	if err := s.prepare(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Ping checks the database is reachable (readiness).
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// DB is the database behind the store (the PostgreSQL event bus and
// leases need their own connections to it).
func (s *Store) DB() *sqldb.DB { return s.db }

// Dialect names the database behind the store.
func (s *Store) Dialect() sqldb.Dialect { return s.db.Dialect }

func (s *Store) q(query string) string { return s.db.Rebind(query) }

// marshal encodes a map or list column; nil becomes the JSON null.
func marshal(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func unmarshal(s string, v any) error {
	if s == "" || s == "null" {
		return nil
	}
	return json.Unmarshal([]byte(s), v)
}

// isUnique reports whether err is a unique-constraint violation on either
// database, without importing the drivers' error types.
func isUnique(err error) bool {
	if err == nil {
		return false
	}
	m := err.Error()
	return strings.Contains(m, "UNIQUE constraint failed") || strings.Contains(m, "SQLSTATE 23505") || strings.Contains(m, "duplicate key")
}

func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return err
}

// Self returns the store itself, also through a type that embeds it (a
// test's store with one method made to fail), for the parts of the core
// server that use the store's whole surface.
func (s *Store) Self() *Store { return s }
