package store

import (
	"context"
	"fmt"

	"github.com/hangar-ci/hangar/services/core/model"
)

const stageColumns = `id, repo_id, build_id, number, name, kind, type, status, error, errignore, exit_code,
machine, os, arch, variant, kernel, limit_stage, limit_repo, started, stopped, created, updated, version,
on_success, on_failure, depends_on, labels, offered, beat`

func scanStage(row interface{ Scan(...any) error }) (*model.Stage, error) {
	st := new(model.Stage)
	var deps, labels string
	err := row.Scan(&st.ID, &st.RepoID, &st.BuildID, &st.Number, &st.Name, &st.Kind, &st.Type, &st.Status,
		&st.Error, &st.ErrIgnore, &st.ExitCode, &st.Machine, &st.OS, &st.Arch, &st.Variant, &st.Kernel, &st.Limit,
		&st.LimitRepo, &st.Started, &st.Stopped, &st.Created, &st.Updated, &st.Version, &st.OnSuccess,
		&st.OnFailure, &deps, &labels, &st.Offered, &st.Beat)
	if err != nil {
		return nil, err
	}
	if err := unmarshal(deps, &st.DependsOn); err != nil {
		return nil, err
	}
	return st, unmarshal(labels, &st.Labels)
}

// ListStages returns a build's stages by number.
func (s *Store) ListStages(ctx context.Context, buildID int64) ([]*model.Stage, error) {
	return s.stages(ctx, `SELECT `+stageColumns+` FROM core_stages WHERE build_id = ? ORDER BY number`, buildID)
}

// UpdateStage writes st's state if its version is current, else ErrConflict.
func (s *Store) UpdateStage(ctx context.Context, st *model.Stage) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE core_stages SET status = ?, error = ?, exit_code = ?, machine = ?,
started = ?, stopped = ?, updated = ?, version = version + 1 WHERE id = ? AND version = ?`),
		st.Status, st.Error, st.ExitCode, st.Machine, st.Started, st.Stopped, st.Updated, st.ID, st.Version)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("stage %s: %w", st.Name, ErrConflict)
	}
	st.Version++
	return nil
}

// CountBuilds returns how many builds a repository has (tests, metrics).
func (s *Store) CountBuilds(ctx context.Context, repoID int64) (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM core_builds WHERE repo_id = ?`), repoID).Scan(&n)
	return n, err
}

// ListQueue returns every pending or running stage, oldest first: what a
// runner would be offered (Drone's queue).
func (s *Store) ListQueue(ctx context.Context) ([]*model.Stage, error) {
	return s.stages(ctx, `SELECT `+stageColumns+` FROM core_stages WHERE status IN ('pending', 'running') ORDER BY id`)
}
