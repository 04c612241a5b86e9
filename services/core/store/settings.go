package store

import (
	"context"
	"database/sql"
	"errors"
)

// Setting returns a server-wide setting ("" when unset). Settings live in
// the database so every replica sees the same value.
func (s *Store) Setting(ctx context.Context, name string) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT value FROM core_settings WHERE name = ?`), name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

// PutSetting sets a server-wide setting.
func (s *Store) PutSetting(ctx context.Context, name, value string) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO core_settings (name, value) VALUES (?, ?)
ON CONFLICT (name) DO UPDATE SET value = excluded.value`), name, value)
	return err
}

// queuePaused is the setting that holds the queue: while "true" runners
// are handed no stage. It lives in the database, so a pause made through
// one replica holds every replica's queue.
const queuePaused = "queue_paused"

// QueuePaused reports whether an administrator paused the queue.
func (s *Store) QueuePaused(ctx context.Context) (bool, error) {
	v, err := s.Setting(ctx, queuePaused)
	return v == "true", err
}

// SetQueuePaused pauses (true) or resumes (false) the queue.
func (s *Store) SetQueuePaused(ctx context.Context, paused bool) error {
	v := "false"
	if paused {
		v = "true"
	}
	return s.PutSetting(ctx, queuePaused, v)
}
