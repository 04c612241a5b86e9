package store

import (
	"context"
	"slices"
	"strings"

	"github.com/hangar-ci/hangar/services/core/model"
)

// Changed is a build that changed, with a fingerprint of its state and its
// stages' (their versions): two reads of an unchanged build give the same.
type Changed struct {
	Build *model.Build
	Print int64
}

// ChangedBuilds returns the builds updated at or after since (unix
// seconds), or one of whose stages was, at most limit of them, by id.
// Every replica reads the same rows, so a change made anywhere is seen
// everywhere. The changed ids come from two range reads on the updated
// indexes (014_feed.sql), so the cost follows the changes, not the tables.
func (s *Store) ChangedBuilds(ctx context.Context, since int64, limit int) ([]Changed, error) {
	var ids []int64
	for _, q := range []string{
		`SELECT id FROM core_builds WHERE updated >= ?`,
		`SELECT build_id FROM core_stages WHERE updated >= ?`, // no DISTINCT: SQLite would then scan by build_id
	} {
		more, err := column[int64](ctx, s, q, since)
		if err != nil {
			return nil, err
		}
		ids = append(ids, more...)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) > limit {
		ids = ids[len(ids)-limit:] // the newest builds
	}
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+buildColumns+`,
 (SELECT COALESCE(SUM(version), 0) FROM core_stages WHERE build_id = core_builds.id)
FROM core_builds WHERE id IN (?`+strings.Repeat(",?", len(ids)-1)+`) ORDER BY id`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Changed
	for rows.Next() {
		var stages int64
		b, err := scanBuild(scanPlus{rows, &stages})
		if err != nil {
			return nil, err
		}
		out = append(out, Changed{Build: b, Print: b.Version<<32 + stages})
	}
	return out, rows.Err()
}

// column reads a query's one column into a slice.
func column[T any](ctx context.Context, s *Store, query string, args ...any) ([]T, error) {
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// scanPlus scans a row's leading columns with scanBuild's destinations and
// its trailing ones into extra.
type scanPlus struct {
	row   interface{ Scan(...any) error }
	extra *int64
}

func (p scanPlus) Scan(dest ...any) error { return p.row.Scan(append(dest, p.extra)...) }
