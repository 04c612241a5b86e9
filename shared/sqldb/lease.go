package sqldb

import (
	"context"
	"fmt"
)

// LockReaper is the lock key of the dead-runner reaper, which runs on one
// replica at a time (migrations hold 7262839, the cron claim 7262813).
const LockReaper int64 = 7262840

// Singleton runs fn unless another replica is running the job named by
// key, and says whether it ran. On PostgreSQL the job holds a session
// advisory lock on a connection of its own, released when fn returns (or
// by PostgreSQL if this process dies); SQLite serves a single replica, so
// fn always runs.
func (db *DB) Singleton(ctx context.Context, key int64, fn func(context.Context) error) (bool, error) {
	if db.Dialect != Postgres {
		return true, fn(ctx)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	var got bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", key).Scan(&got); err != nil {
		return false, fmt.Errorf("advisory lock %d: %w", key, err)
	}
	if !got {
		return false, nil
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", key)
	return true, fn(ctx)
}
