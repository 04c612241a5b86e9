package store

import (
	"context"
	"fmt"

	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/shared/sqldb"
)

const cronColumns = `id, repo_id, name, expr, next_run, prev_run, event, branch, target, disabled, created, updated, version`

func scanCron(row interface{ Scan(...any) error }) (*model.Cron, error) {
	c := new(model.Cron)
	err := row.Scan(&c.ID, &c.RepoID, &c.Name, &c.Expr, &c.Next, &c.Prev, &c.Event, &c.Branch, &c.Target,
		&c.Disabled, &c.Created, &c.Updated, &c.Version)
	return c, err
}

// CreateCron inserts c with version 1; a name taken in the repository is
// ErrConflict.
func (s *Store) CreateCron(ctx context.Context, c *model.Cron) error {
	c.Version = 1
	err := s.db.QueryRowContext(ctx, s.q(`INSERT INTO core_crons (repo_id, name, expr, next_run, prev_run, event, branch,
target, disabled, created, updated, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		c.RepoID, c.Name, c.Expr, c.Next, c.Prev, c.Event, c.Branch, c.Target, c.Disabled, c.Created, c.Updated, c.Version).Scan(&c.ID)
	if isUnique(err) {
		return fmt.Errorf("cron %s: %w", c.Name, ErrConflict)
	}
	return err
}

// UpdateCron writes c if its version is current, else ErrConflict.
func (s *Store) UpdateCron(ctx context.Context, c *model.Cron) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE core_crons SET expr = ?, next_run = ?, prev_run = ?, event = ?, branch = ?,
target = ?, disabled = ?, updated = ?, version = version + 1 WHERE id = ? AND version = ?`),
		c.Expr, c.Next, c.Prev, c.Event, c.Branch, c.Target, c.Disabled, c.Updated, c.ID, c.Version)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("cron %s: %w", c.Name, ErrConflict)
	}
	c.Version++
	return nil
}

// FindCron returns the repository's cron job name.
func (s *Store) FindCron(ctx context.Context, repoID int64, name string) (*model.Cron, error) {
	c, err := scanCron(s.db.QueryRowContext(ctx, s.q(`SELECT `+cronColumns+` FROM core_crons WHERE repo_id = ? AND name = ?`), repoID, name))
	return c, notFound(err, "cron "+name)
}

// ListCrons returns the repository's cron jobs by name.
func (s *Store) ListCrons(ctx context.Context, repoID int64) ([]*model.Cron, error) {
	return s.crons(ctx, `SELECT `+cronColumns+` FROM core_crons WHERE repo_id = ? ORDER BY name`, repoID)
}

func (s *Store) crons(ctx context.Context, query string, args ...any) ([]*model.Cron, error) {
	return queryAll(ctx, s, scanCron, query, args...)
}

// DeleteCron removes the cron job with id.
func (s *Store) DeleteCron(ctx context.Context, id int64) error {
	_, err := s.db.ExecContext(ctx, s.q(`DELETE FROM core_crons WHERE id = ?`), id)
	return err
}

// cronLock is the PostgreSQL advisory lock key one replica holds while it
// claims due cron jobs.
const cronLock = 7262813

// ClaimDueCrons moves every enabled cron job due at now to its next time
// (given by next) and returns those this call moved. Each row is moved
// only if its version is unchanged, so among replicas ticking at once
// exactly one claims a job for a tick; on PostgreSQL a transaction-scoped
// advisory lock also keeps the others from doing the work twice (they
// return nothing while one replica holds it).
func (s *Store) ClaimDueCrons(ctx context.Context, now int64, next func(*model.Cron) int64) ([]*model.Cron, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if s.db.Dialect == sqldb.Postgres {
		var got bool
		// Keyed by schema too: advisory locks are database-wide, and two
		// installations (or parallel tests) in one database must not
		// take each other's tick.
		if err := tx.QueryRowContext(ctx, `SELECT pg_try_advisory_xact_lock($1, hashtext(current_schema()))`, cronLock).Scan(&got); err != nil {
			return nil, err
		}
		if !got {
			return nil, nil
		}
	}
	rows, err := tx.QueryContext(ctx, s.q(`SELECT `+cronColumns+` FROM core_crons WHERE NOT disabled AND next_run <= ?
ORDER BY next_run LIMIT 100`), now)
	if err != nil {
		return nil, err
	}
	var due []*model.Cron
	for rows.Next() {
		c, err := scanCron(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		due = append(due, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var claimed []*model.Cron
	for _, c := range due {
		prev, nxt := c.Next, next(c)
		res, err := tx.ExecContext(ctx, s.q(`UPDATE core_crons SET prev_run = ?, next_run = ?, version = version + 1
WHERE id = ? AND version = ?`), prev, nxt, c.ID, c.Version)
		if err != nil {
			return nil, err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			c.Prev, c.Next, c.Version = prev, nxt, c.Version+1
			claimed = append(claimed, c)
		}
	}
	return claimed, tx.Commit()
}
