package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/hangar-ci/hangar/services/core/model"
)

// AppendLines stores live log lines of a step while its total stays
// within limit bytes; it returns how many lines it kept. Lines whose
// position is already stored are ignored, so a resent batch is harmless.
func (s *Store) AppendLines(ctx context.Context, stepID int64, lines []*model.Line, limit int64) (int, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	// One size update for the whole batch when it fits (the usual case),
	// else line by line up to the limit.
	keep := lines
	if !s.grow(ctx, tx, stepID, batchSize(lines), limit) {
		keep = nil
		for _, l := range lines {
			if !s.grow(ctx, tx, stepID, int64(len(l.Out)), limit) {
				break // over the limit: the rest is dropped
			}
			keep = append(keep, l)
		}
	}
	kept := len(keep)
	for len(keep) > 0 {
		chunk := keep[:min(len(keep), 200)]
		keep = keep[len(chunk):]
		args := make([]any, 0, 4*len(chunk))
		for _, l := range chunk {
			args = append(args, stepID, l.Pos, l.Out, l.Time)
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO core_log_lines (step_id, pos, out, ts) VALUES `+tuples(len(chunk), 4)+`
ON CONFLICT (step_id, pos) DO NOTHING`), args...); err != nil {
			return 0, err
		}
	}
	return kept, tx.Commit()
}

// grow adds n bytes to the step's log size if the total stays within
// limit, and reports whether it did (a database error counts as no).
func (s *Store) grow(ctx context.Context, tx *sql.Tx, stepID, n, limit int64) bool {
	res, err := tx.ExecContext(ctx, s.q(`UPDATE core_steps SET log_size = log_size + ? WHERE id = ? AND log_size + ? <= ?`), n, stepID, n, limit)
	if err != nil {
		return false
	}
	done, _ := res.RowsAffected()
	return done == 1
}

func batchSize(lines []*model.Line) int64 {
	var n int64
	for _, l := range lines {
		n += int64(len(l.Out))
	}
	return n
}

// ListLines returns a step's live lines from position from on, at most
// limit of them.
func (s *Store) ListLines(ctx context.Context, stepID int64, from, limit int) ([]*model.Line, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT pos, out, ts FROM core_log_lines WHERE step_id = ? AND pos >= ?
ORDER BY pos LIMIT ?`), stepID, from, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*model.Line
	for rows.Next() {
		l := new(model.Line)
		if err := rows.Scan(&l.Pos, &l.Out, &l.Time); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// DeleteLines drops the live lines of a finished stage's steps: the
// uploaded logs replace them.
func (s *Store) DeleteLines(ctx context.Context, stageID int64) error {
	_, err := s.db.ExecContext(ctx, s.q(`DELETE FROM core_log_lines WHERE step_id IN (SELECT id FROM core_steps WHERE stage_id = ?)`), stageID)
	return err
}

// PutLog stores a step's complete log, replacing an earlier upload.
func (s *Store) PutLog(ctx context.Context, stepID int64, data []byte) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO core_logs (step_id, data) VALUES (?, ?)
ON CONFLICT (step_id) DO UPDATE SET data = excluded.data`), stepID, string(data))
	return err
}

// FindLog returns a step's uploaded log.
func (s *Store) FindLog(ctx context.Context, stepID int64) ([]byte, error) {
	var data string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT data FROM core_logs WHERE step_id = ?`), stepID).Scan(&data)
	return []byte(data), notFound(err, fmt.Sprintf("log of step %d", stepID))
}

// DeleteLog removes a step's uploaded log and live lines (Drone's log
// purge); the step's stored size starts again from zero.
func (s *Store) DeleteLog(ctx context.Context, stepID int64) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, q := range []string{
		`DELETE FROM core_logs WHERE step_id = ?`,
		`DELETE FROM core_log_lines WHERE step_id = ?`,
		`UPDATE core_steps SET log_size = 0 WHERE id = ?`,
	} {
		if _, err := tx.ExecContext(ctx, s.q(q), stepID); err != nil {
			return err
		}
	}
	return tx.Commit()
}
