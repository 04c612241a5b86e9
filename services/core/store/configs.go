package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/hangar-ci/hangar/services/core/model"
)

// insertConfigs stores, inside the build's transaction, the YAML each
// build runs; builds without one (error builds) store nothing.
func (s *Store) insertConfigs(ctx context.Context, tx *sql.Tx, builds []*model.Build) error {
	var args []any
	for _, b := range builds {
		if b.Config != "" {
			args = append(args, b.ID, b.Config)
		}
	}
	if len(args) == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO core_build_configs (build_id, data) VALUES `+tuples(len(args)/2, 2)), args...)
	if err != nil {
		return fmt.Errorf("inserting build configs: %w", err)
	}
	return nil
}

// FindBuildConfig returns the YAML stored with the build.
func (s *Store) FindBuildConfig(ctx context.Context, buildID int64) (string, error) {
	var data string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT data FROM core_build_configs WHERE build_id = ?`), buildID).Scan(&data)
	return data, notFound(err, fmt.Sprintf("configuration of build %d", buildID))
}
