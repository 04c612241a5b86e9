package store

import (
	"context"
	"database/sql"

	"github.com/hangar-ci/hangar/shared/sqldb"
)

// SQLite parses every statement it is given; its one connection keeps the
// hot statements prepared instead. PostgreSQL's driver caches prepared
// statements per connection by itself, so queries go to it as text.

// prepare readies the hot statements once, before any transaction holds
// SQLite's only connection (preparing later, from inside one, would wait
// for that connection forever).
func (s *Store) prepare(ctx context.Context) error {
	if s.db.Dialect != sqldb.SQLite {
		return nil
	}
	s.stmts = map[string]*sql.Stmt{}
	for _, q := range []string{qIncrement, qInsertBuild, qInsertStage, qRepoBySlug} {
		st, err := s.db.PrepareContext(ctx, q)
		if err != nil {
			return err
		}
		s.stmts[q] = st
	}
	return nil
}

// prepared returns the prepared statement for query, if there is one.
func (s *Store) prepared(query string) (*sql.Stmt, bool) {
	st, ok := s.stmts[query]
	return st, ok
}

// txRow runs a one-row query inside tx.
func (s *Store) txRow(ctx context.Context, tx *sql.Tx, query string, args ...any) *sql.Row {
	if st, ok := s.prepared(query); ok {
		return tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return tx.QueryRowContext(ctx, s.q(query), args...)
}

// row runs a one-row query outside a transaction.
func (s *Store) row(ctx context.Context, query string, args ...any) *sql.Row {
	if st, ok := s.prepared(query); ok {
		return st.QueryRowContext(ctx, args...)
	}
	return s.db.QueryRowContext(ctx, s.q(query), args...)
}
