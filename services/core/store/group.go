package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/hangar-ci/hangar/services/core/model"
)

// insertGroup inserts several builds in a handful of statements whatever
// their number: one counter update per repository (taking as many numbers
// as it has builds in the group, in queue order), one multi-row insert of
// the builds and one of their stages (in chunks). On PostgreSQL every
// statement is a round trip while the counter's row lock is held, so this
// is what lets a group commit carry many builds.
func (s *Store) insertGroup(ctx context.Context, tx *sql.Tx, group []*createReq) error {
	counts := map[int64]int64{}
	var repos []int64
	for _, r := range group {
		if counts[r.build.RepoID] == 0 {
			repos = append(repos, r.build.RepoID)
		}
		counts[r.build.RepoID]++
	}
	next := map[int64]int64{}
	for _, id := range repos {
		var top int64
		err := tx.QueryRowContext(ctx, s.q(`UPDATE core_repos SET counter = counter + ? WHERE id = ? RETURNING counter`), counts[id], id).Scan(&top)
		if err != nil {
			return notFound(err, "repository")
		}
		next[id] = top - counts[id] + 1
	}
	type key struct{ repo, number int64 }
	builds := make(map[key]*model.Build, len(group))
	args := make([]any, 0, len(group)*33)
	for _, r := range group {
		b := r.build
		b.Number, b.Version = next[b.RepoID], 1
		next[b.RepoID]++
		builds[key{b.RepoID, b.Number}] = b
		args = append(args, b.RepoID, b.Trigger, b.Number, b.Parent, b.Status, b.Error, b.Event, b.Action, b.Link,
			b.Timestamp, b.Title, b.Message, b.Before, b.After, b.Ref, b.Fork, b.Source, b.Target, b.Author,
			b.AuthorName, b.AuthorEmail, b.AuthorAvatar, b.Sender, marshal(b.Params), b.Cron, b.Deploy, b.DeployID,
			b.Debug, b.Started, b.Finished, b.Created, b.Updated, b.Version)
	}
	q := `INSERT INTO core_builds (repo_id, trigger_by, number, parent, status, error, event, action, link, ts,
title, message, commit_before, commit_after, ref, fork, source, target, author, author_name, author_email,
author_avatar, sender, params, cron, deploy, deploy_id, debug, started, finished, created, updated, version)
VALUES ` + tuples(len(group), 33) + ` RETURNING id, repo_id, number`
	if err := scanIDs(ctx, tx, s.q(q), args, func(id, a, b int64) bool {
		if bd, ok := builds[key{a, b}]; ok {
			bd.ID = id
			return true
		}
		return false
	}); err != nil {
		return fmt.Errorf("inserting builds: %w", err)
	}
	bs := make([]*model.Build, 0, len(group))
	for _, r := range group {
		bs = append(bs, r.build)
	}
	if err := s.insertConfigs(ctx, tx, bs); err != nil {
		return err
	}
	var all []*model.Stage
	for _, r := range group {
		for _, st := range r.stages {
			st.RepoID, st.BuildID, st.Version = r.build.RepoID, r.build.ID, 1
			all = append(all, st)
		}
	}
	// Chunks keep each statement under SQLite's and PostgreSQL's limits
	// on bound parameters.
	for len(all) > 0 {
		chunk := all[:min(len(all), 500)]
		all = all[len(chunk):]
		stages := make(map[key]*model.Stage, len(chunk))
		args := make([]any, 0, len(chunk)*26)
		for _, st := range chunk {
			stages[key{st.BuildID, int64(st.Number)}] = st
			args = append(args, st.RepoID, st.BuildID, st.Number, st.Name, st.Kind, st.Type, st.Status, st.Error,
				st.ErrIgnore, st.ExitCode, st.Machine, st.OS, st.Arch, st.Variant, st.Kernel, st.Limit, st.LimitRepo,
				st.Started, st.Stopped, st.Created, st.Updated, st.Version, st.OnSuccess, st.OnFailure,
				marshal(st.DependsOn), marshal(st.Labels))
		}
		q := `INSERT INTO core_stages (repo_id, build_id, number, name, kind, type, status, error, errignore,
exit_code, machine, os, arch, variant, kernel, limit_stage, limit_repo, started, stopped, created, updated, version,
on_success, on_failure, depends_on, labels) VALUES ` + tuples(len(chunk), 26) + ` RETURNING id, build_id, number`
		if err := scanIDs(ctx, tx, s.q(q), args, func(id, a, b int64) bool {
			if st, ok := stages[key{a, b}]; ok {
				st.ID = id
				return true
			}
			return false
		}); err != nil {
			return fmt.Errorf("inserting stages: %w", err)
		}
	}
	return nil
}

// scanIDs runs an insert returning (id, a, b) rows and hands each to set,
// which reports whether it matched a row it inserted. RETURNING's row
// order is not guaranteed, hence the keys.
func scanIDs(ctx context.Context, tx *sql.Tx, q string, args []any, set func(id, a, b int64) bool) error {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, a, b int64
		if err := rows.Scan(&id, &a, &b); err != nil {
			return err
		}
		if !set(id, a, b) {
			return fmt.Errorf("unexpected row returned (%d, %d)", a, b)
		}
	}
	return rows.Err()
}

// tuples returns n comma-separated groups of m placeholders.
func tuples(n, m int) string {
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", m), ", ") + ")"
	return strings.TrimSuffix(strings.Repeat(one+", ", n), ", ")
}
