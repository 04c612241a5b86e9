package store

import (
	"context"
	"fmt"

	"github.com/hangar-ci/hangar/services/core/model"
)

// SavePathReport records what path filtering decided for a build.
func (s *Store) SavePathReport(ctx context.Context, r *model.PathReport) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO core_build_paths (build_id, changed_files, incomplete, note, decisions)
VALUES (?, ?, ?, ?, ?)`), r.BuildID, r.ChangedFiles, r.Incomplete, r.Note, marshal(r.Decisions))
	if isUnique(err) {
		return fmt.Errorf("path report of build %d: %w", r.BuildID, ErrConflict)
	}
	return err
}

// FindPathReport returns a build's path report, ErrNotFound when its
// pipelines had no path condition.
func (s *Store) FindPathReport(ctx context.Context, buildID int64) (*model.PathReport, error) {
	r := &model.PathReport{BuildID: buildID}
	var decisions string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT changed_files, incomplete, note, decisions FROM core_build_paths WHERE build_id = ?`), buildID).
		Scan(&r.ChangedFiles, &r.Incomplete, &r.Note, &decisions)
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("path report of build %d", buildID))
	}
	return r, unmarshal(decisions, &r.Decisions)
}
