package store

import (
	"context"
	"fmt"

	"github.com/hangar-ci/hangar/services/core/model"
)

// The statements here are how runners take stages. Each is one UPDATE
// whose WHERE clause is the whole decision, so on several replicas (or
// several runners on one) exactly one caller wins, whatever the timing.

// FindStage returns the stage with id.
func (s *Store) FindStage(ctx context.Context, id int64) (*model.Stage, error) {
	st, err := scanStage(s.db.QueryRowContext(ctx, s.q(`SELECT `+stageColumns+` FROM core_stages WHERE id = ?`), id))
	return st, notFound(err, fmt.Sprintf("stage %d", id))
}

// FindBuildID returns the build with id.
func (s *Store) FindBuildID(ctx context.Context, id int64) (*model.Build, error) {
	b, err := scanBuild(s.db.QueryRowContext(ctx, s.q(`SELECT `+buildColumns+` FROM core_builds WHERE id = ?`), id))
	return b, notFound(err, fmt.Sprintf("build %d", id))
}

// OfferStage reserves a pending, unclaimed stage for one polling runner
// at now, unless another offer made after expired still holds it. It
// reports whether this caller got the offer.
func (s *Store) OfferStage(ctx context.Context, id, now, expired int64) (bool, error) {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE core_stages SET offered = ? WHERE id = ? AND status = 'pending'
AND machine = '' AND offered <= ?`), now, id, expired)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// AcceptStage gives a pending stage nobody holds to machine. A stage held
// by a machine already, or no longer pending, is ErrConflict (the runner
// that lost gets 409); an unknown one ErrNotFound.
func (s *Store) AcceptStage(ctx context.Context, id int64, machine string, now int64) (*model.Stage, error) {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE core_stages SET machine = ?, beat = ?, updated = ?, version = version + 1
WHERE id = ? AND machine = '' AND status = 'pending'`), machine, now, now, id)
	if err != nil {
		return nil, err
	}
	st, err := s.FindStage(ctx, id)
	if err != nil {
		return nil, err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return st, fmt.Errorf("stage %d is %s and held by %q: %w", id, st.Status, st.Machine, ErrConflict)
	}
	return st, nil
}

// Beat records that the runners holding the build's unfinished stages
// were heard from at now.
func (s *Store) Beat(ctx context.Context, buildID, now int64) error {
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE core_stages SET beat = ? WHERE build_id = ? AND machine <> ''
AND status IN ('pending', 'running') AND beat < ?`), now, buildID, now)
	return err
}

// ListStale returns the held, unfinished stages whose runner was last
// heard from before before.
func (s *Store) ListStale(ctx context.Context, before int64) ([]*model.Stage, error) {
	return s.stages(ctx, `SELECT `+stageColumns+` FROM core_stages WHERE status IN ('pending', 'running')
AND machine <> '' AND beat < ? ORDER BY id`, before)
}

// ReleaseStage takes a stage accepted but never started back from its
// machine so the queue offers it again; ErrConflict if it moved since.
func (s *Store) ReleaseStage(ctx context.Context, st *model.Stage, now int64) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE core_stages SET machine = '', offered = 0, beat = 0, updated = ?,
version = version + 1 WHERE id = ? AND version = ? AND status = 'pending'`), now, st.ID, st.Version)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("stage %d: %w", st.ID, ErrConflict)
	}
	st.Machine, st.Offered, st.Beat, st.Updated = "", 0, 0, now
	st.Version++
	return nil
}

// ListIncomplete returns every unfinished stage (pending, running,
// waiting on dependencies or blocked), oldest first.
func (s *Store) ListIncomplete(ctx context.Context) ([]*model.Stage, error) {
	return s.stages(ctx, `SELECT `+stageColumns+` FROM core_stages WHERE status IN ('pending', 'running',
'waiting_on_dependencies', 'blocked') ORDER BY id`)
}

// ListRunningBuilds returns every running build, oldest first (the build
// timeout's scan).
func (s *Store) ListRunningBuilds(ctx context.Context) ([]*model.Build, error) {
	return collect(ctx, s, `SELECT `+buildColumns+` FROM core_builds WHERE status = 'running' ORDER BY id`, nil, scanBuild)
}

func (s *Store) stages(ctx context.Context, query string, args ...any) ([]*model.Stage, error) {
	return collect(ctx, s, query, args, scanStage)
}

// collect runs query and scans every row with scan (queryAll with the
// arguments first, as the runner's queries read best).
func collect[T any](ctx context.Context, s *Store, query string, args []any, scan func(interface{ Scan(...any) error }) (T, error)) ([]T, error) {
	return queryAll(ctx, s, scan, query, args...)
}

// SeeRunner records that a runner asking with filter (stored as given,
// keyed by key) polled at now; a record younger than 30 s is left alone,
// so a poll costs a write at most twice a minute per kind of runner.
func (s *Store) SeeRunner(ctx context.Context, key, filter string, now int64) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO core_runners (filter_key, filter, seen) VALUES (?, ?, ?)
ON CONFLICT (filter_key) DO UPDATE SET seen = excluded.seen WHERE core_runners.seen < excluded.seen - 30`), key, filter, now)
	return err
}

// ListRunners returns the filters of the runners seen polling since.
func (s *Store) ListRunners(ctx context.Context, since int64) ([]string, error) {
	return collect(ctx, s, `SELECT filter FROM core_runners WHERE seen >= ? ORDER BY filter_key`, []any{since},
		func(row interface{ Scan(...any) error }) (string, error) {
			var f string
			return f, row.Scan(&f)
		})
}
