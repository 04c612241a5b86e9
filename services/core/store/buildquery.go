package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/hangar-ci/hangar/services/core/model"
)

// BuildFilter narrows a repository's build list; empty fields match all.
// Branch matches the build's target branch, as Drone's branch lists do.
type BuildFilter struct {
	Branch, Event, Status, Author string
}

// FilterBuilds returns a repository's builds matching f, newest first.
func (s *Store) FilterBuilds(ctx context.Context, repoID int64, f BuildFilter, limit, offset int) ([]*model.Build, error) {
	where, args := []string{"repo_id = ?"}, []any{repoID}
	for _, c := range []struct{ column, value string }{
		{"target", f.Branch}, {"event", f.Event}, {"status", f.Status}, {"author", f.Author},
	} {
		if c.value != "" {
			where, args = append(where, c.column+" = ?"), append(args, c.value)
		}
	}
	return queryAll(ctx, s, scanBuild, `SELECT `+buildColumns+` FROM core_builds WHERE `+strings.Join(where, " AND ")+`
ORDER BY number DESC LIMIT ? OFFSET ?`, append(args, limit, offset)...)
}

// LatestBuild returns the repository's newest build, of a ref when ref is
// set (Drone's builds/latest?ref=, ?branch= being refs/heads/<branch>).
func (s *Store) LatestBuild(ctx context.Context, repoID int64, ref string) (*model.Build, error) {
	query, args := `SELECT `+buildColumns+` FROM core_builds WHERE repo_id = ? ORDER BY number DESC LIMIT 1`, []any{repoID}
	if ref != "" {
		query, args = `SELECT `+buildColumns+` FROM core_builds WHERE repo_id = ? AND ref = ? ORDER BY number DESC LIMIT 1`, []any{repoID, ref}
	}
	b, err := scanBuild(s.db.QueryRowContext(ctx, s.q(query), args...))
	return b, notFound(err, fmt.Sprintf("latest build of %q", ref))
}

// IncompleteBuilds returns every pending or running build, oldest first
// (at most 1000).
func (s *Store) IncompleteBuilds(ctx context.Context) ([]*model.Build, error) {
	return queryAll(ctx, s, scanBuild, `SELECT `+buildColumns+` FROM core_builds WHERE status IN ('pending', 'running')
ORDER BY id LIMIT 1000`)
}

// LatestPer returns the newest build of each group of a repository's
// builds of event: per target branch (push), per ref (pull_request) or per
// deployment environment (promote), newest first — Drone's branches,
// pulls and deployments lists.
func (s *Store) LatestPer(ctx context.Context, repoID int64, event string) ([]*model.Build, error) {
	column := map[string]string{model.EventPush: "target", model.EventPullRequest: "ref", model.EventPromote: "deploy"}[event]
	if column == "" {
		return nil, fmt.Errorf("no grouping for event %q", event)
	}
	return queryAll(ctx, s, scanBuild, `SELECT `+buildColumns+` FROM core_builds b WHERE repo_id = ? AND event = ?
AND number = (SELECT MAX(number) FROM core_builds x WHERE x.repo_id = b.repo_id AND x.event = b.event AND x.`+column+` = b.`+column+`)
ORDER BY number DESC`, repoID, event)
}
