package core

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
)

// lockSQLite takes an exclusive lock on a file beside the SQLite database
// of dsn, so a second core replica on the same file is refused: SQLite
// serves a single replica (the wake-ups, the reaper and the queue live in
// one process), PostgreSQL serves several. The lock ends when the returned
// file is closed or the process exits. An in-memory database needs none.
func lockSQLite(dsn string) (*os.File, error) {
	p := strings.TrimPrefix(dsn, "file:")
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	if p == "" || strings.Contains(p, ":memory:") {
		return nil, nil
	}
	f, err := os.OpenFile(p+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("SQLite lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("another core server already uses the SQLite database %s (lock %s.lock is held): SQLite serves one replica; run several on PostgreSQL (DRONE_DATABASE_DRIVER=postgres)", p, p)
		}
		return nil, fmt.Errorf("SQLite lock file: %w", err)
	}
	return f, nil
}
