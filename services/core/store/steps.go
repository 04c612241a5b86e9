package store

import (
	"context"
	"fmt"

	"github.com/hangar-ci/hangar/services/core/model"
)

const stepColumns = `id, stage_id, build_id, number, name, status, error, errignore, exit_code, started, stopped, version`

func scanStep(row interface{ Scan(...any) error }) (*model.Step, error) {
	st := new(model.Step)
	err := row.Scan(&st.ID, &st.StageID, &st.BuildID, &st.Number, &st.Name, &st.Status, &st.Error, &st.ErrIgnore,
		&st.ExitCode, &st.Started, &st.Stopped, &st.Version)
	return st, err
}

// SaveSteps writes a stage's steps by number: new numbers are inserted
// (version 1), known ones take the given state. Ids and versions are set
// on return.
func (s *Store) SaveSteps(ctx context.Context, steps []*model.Step) error {
	if len(steps) == 0 {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, st := range steps {
		err := tx.QueryRowContext(ctx, s.q(`INSERT INTO core_steps (stage_id, build_id, number, name, status, error,
errignore, exit_code, started, stopped, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)
ON CONFLICT (stage_id, number) DO UPDATE SET status = excluded.status, error = excluded.error,
exit_code = excluded.exit_code, started = excluded.started, stopped = excluded.stopped,
version = core_steps.version + 1 RETURNING id, version`),
			st.StageID, st.BuildID, st.Number, st.Name, st.Status, st.Error, st.ErrIgnore, st.ExitCode, st.Started,
			st.Stopped).Scan(&st.ID, &st.Version)
		if err != nil {
			return fmt.Errorf("saving step %d: %w", st.Number, err)
		}
	}
	return tx.Commit()
}

// UpdateStep writes a step's state.
func (s *Store) UpdateStep(ctx context.Context, st *model.Step) error {
	err := s.db.QueryRowContext(ctx, s.q(`UPDATE core_steps SET status = ?, error = ?, exit_code = ?, started = ?,
stopped = ?, version = version + 1 WHERE id = ? RETURNING version`),
		st.Status, st.Error, st.ExitCode, st.Started, st.Stopped, st.ID).Scan(&st.Version)
	return notFound(err, fmt.Sprintf("step %d", st.ID))
}

// FindStep returns the step with id.
func (s *Store) FindStep(ctx context.Context, id int64) (*model.Step, error) {
	st, err := scanStep(s.db.QueryRowContext(ctx, s.q(`SELECT `+stepColumns+` FROM core_steps WHERE id = ?`), id))
	return st, notFound(err, fmt.Sprintf("step %d", id))
}

// ListSteps returns a build's steps by stage and number.
func (s *Store) ListSteps(ctx context.Context, buildID int64) ([]*model.Step, error) {
	return collect(ctx, s, `SELECT `+stepColumns+` FROM core_steps WHERE build_id = ? ORDER BY stage_id, number`, []any{buildID}, scanStep)
}

// EndSteps closes the unfinished steps of a stage that ended without its
// runner's word (cancel, dead runner): running ones take status, pending
// ones become skipped, both stopped at now.
func (s *Store) EndSteps(ctx context.Context, stageID int64, status string, now int64) error {
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE core_steps SET status = CASE WHEN status = 'running' THEN ? ELSE 'skipped' END,
started = CASE WHEN started = 0 THEN ? ELSE started END, stopped = ?, version = version + 1
WHERE stage_id = ? AND status IN ('pending', 'running')`), status, now, now, stageID)
	return err
}
