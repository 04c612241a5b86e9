package store

import (
	"context"

	"github.com/hangar-ci/hangar/services/core/model"
)

// Changed is a build that changed, with a fingerprint of its state and its
// stages' (their versions): two reads of an unchanged build give the same.
type Changed struct {
	Build *model.Build
	Print int64
}

// ChangedBuilds returns the builds updated at or after since (unix
// seconds), or one of whose stages was, by the build's update time. Every replica
// reads the same rows, so a change made anywhere is seen everywhere.
func (s *Store) ChangedBuilds(ctx context.Context, since int64, limit int) ([]Changed, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+buildColumns+`,
 (SELECT COALESCE(SUM(version), 0) FROM core_stages WHERE build_id = core_builds.id)
FROM core_builds
WHERE updated >= ? OR id IN (SELECT build_id FROM core_stages WHERE updated >= ?)
ORDER BY updated, id LIMIT ?`), since, since, limit)
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

// scanPlus scans a row's leading columns with scanBuild's destinations and
// its trailing ones into extra.
type scanPlus struct {
	row   interface{ Scan(...any) error }
	extra *int64
}

func (p scanPlus) Scan(dest ...any) error { return p.row.Scan(append(dest, p.extra)...) }
