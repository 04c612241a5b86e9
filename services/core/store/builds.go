package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/hangar-ci/hangar/services/core/model"
)

const buildColumns = `id, repo_id, trigger_by, number, parent, status, error, event, action, link, ts,
title, message, commit_before, commit_after, ref, fork, source, target, author, author_name, author_email,
author_avatar, sender, params, cron, deploy, deploy_id, debug, started, finished, created, updated, version`

func scanBuild(row interface{ Scan(...any) error }) (*model.Build, error) {
	b := new(model.Build)
	var params string
	err := row.Scan(&b.ID, &b.RepoID, &b.Trigger, &b.Number, &b.Parent, &b.Status, &b.Error, &b.Event, &b.Action,
		&b.Link, &b.Timestamp, &b.Title, &b.Message, &b.Before, &b.After, &b.Ref, &b.Fork, &b.Source, &b.Target,
		&b.Author, &b.AuthorName, &b.AuthorEmail, &b.AuthorAvatar, &b.Sender, &params, &b.Cron, &b.Deploy,
		&b.DeployID, &b.Debug, &b.Started, &b.Finished, &b.Created, &b.Updated, &b.Version)
	if err != nil {
		return nil, err
	}
	return b, unmarshal(params, &b.Params)
}

// CreateBuild writes b and its stages in one transaction: the repository's
// counter is incremented and becomes b.Number, then the build and every
// stage are inserted with version 1. Ids and numbers are set on success;
// on failure nothing of this build is written, the counter included.
//
// Concurrent calls are grouped: one caller at a time writes every queued
// build in a single transaction and commits once. The counter's row lock is
// then held for one commit per group rather than one per build, which is
// what bounds throughput on PostgreSQL (a commit waits for the WAL flush).
func (s *Store) CreateBuild(ctx context.Context, b *model.Build, stages []*model.Stage) error {
	req := &createReq{build: b, stages: stages, done: make(chan error, 1)}
	s.mu.Lock()
	s.queue = append(s.queue, req)
	if s.leading {
		s.mu.Unlock()
		if err := <-req.done; err != errLead {
			return err
		}
		s.mu.Lock() // handed the lead: leading is still true
	}
	s.leading = true
	for {
		n := min(len(s.queue), maxGroup)
		group := s.queue[:n:n]
		s.queue = s.queue[n:]
		s.mu.Unlock()
		s.writeGroup(group)
		s.mu.Lock()
		select {
		case err := <-req.done:
			// Our build is written: hand the lead to the next waiter, if any.
			if len(s.queue) > 0 {
				s.queue[0].done <- errLead
			} else {
				s.leading = false
			}
			s.mu.Unlock()
			return err
		default:
		}
	}
}

// The statements of CreateBuild, prepared once on SQLite.
const (
	qIncrement   = `UPDATE core_repos SET counter = counter + 1 WHERE id = ? RETURNING counter`
	qInsertBuild = `INSERT INTO core_builds (repo_id, trigger_by, number, parent, status, error,
event, action, link, ts, title, message, commit_before, commit_after, ref, fork, source, target, author,
author_name, author_email, author_avatar, sender, params, cron, deploy, deploy_id, debug, started, finished,
created, updated, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
RETURNING id`
	qInsertStage = `INSERT INTO core_stages (repo_id, build_id, number, name, kind, type, status, error, errignore,
exit_code, machine, os, arch, variant, kernel, limit_stage, limit_repo, started, stopped, created, updated, version,
on_success, on_failure, depends_on, labels) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
RETURNING id`
)

// maxGroup bounds how many builds share one transaction.
const maxGroup = 64

// errLead tells a waiting caller to write the queue itself.
var errLead = errors.New("store: take the lead")

type createReq struct {
	build  *model.Build
	stages []*model.Stage
	done   chan error
}

// writeGroup writes every build of group in one transaction and answers
// each request once the commit's outcome is known. Errors are rare (a
// vanished repository, a broken stage list), so the group is tried whole
// first; if that fails, each build is retried in its own transaction so
// one bad build fails alone. A failed transaction leaves nothing behind,
// so numbers stay gap-free either way.
func (s *Store) writeGroup(group []*createReq) {
	// Not any caller's context: one caller going away must not fail the
	// builds of the others.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := s.inTx(ctx, group)
	if err != nil && len(group) > 1 {
		for _, r := range group {
			r.done <- s.inTx(ctx, []*createReq{r})
		}
		return
	}
	for _, r := range group {
		r.done <- err
	}
}

// inTx inserts the builds of group in one transaction; on failure their
// ids and numbers are cleared.
func (s *Store) inTx(ctx context.Context, group []*createReq) error {
	err := func() error {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if len(group) == 1 {
			err = s.insertBuild(ctx, tx, group[0].build, group[0].stages)
		} else {
			err = s.insertGroup(ctx, tx, group)
		}
		if err != nil {
			return err
		}
		return tx.Commit()
	}()
	if err != nil {
		for _, r := range group {
			r.build.ID, r.build.Number, r.build.Version = 0, 0, 0
			for _, st := range r.stages {
				st.ID, st.BuildID, st.Version = 0, 0, 0
			}
		}
	}
	return err
}

// insertBuild takes the next number and inserts the build and its stages
// inside tx.
func (s *Store) insertBuild(ctx context.Context, tx *sql.Tx, b *model.Build, stages []*model.Stage) error {
	var number int64
	// The UPDATE takes the row lock (PostgreSQL) or runs under the write
	// lock (SQLite, BEGIN IMMEDIATE) that serialises concurrent builds.
	err := s.txRow(ctx, tx, qIncrement, b.RepoID).Scan(&number)
	if err != nil {
		return notFound(err, "repository")
	}
	b.Number, b.Version = number, 1
	err = s.txRow(ctx, tx, qInsertBuild,
		b.RepoID, b.Trigger, b.Number, b.Parent, b.Status, b.Error, b.Event, b.Action, b.Link, b.Timestamp, b.Title,
		b.Message, b.Before, b.After, b.Ref, b.Fork, b.Source, b.Target, b.Author, b.AuthorName, b.AuthorEmail,
		b.AuthorAvatar, b.Sender, marshal(b.Params), b.Cron, b.Deploy, b.DeployID, b.Debug, b.Started, b.Finished,
		b.Created, b.Updated, b.Version).Scan(&b.ID)
	if err != nil {
		return fmt.Errorf("inserting build: %w", err)
	}
	if err := s.insertConfigs(ctx, tx, []*model.Build{b}); err != nil {
		return err
	}
	for _, st := range stages {
		st.RepoID, st.BuildID, st.Version = b.RepoID, b.ID, 1
		err := s.txRow(ctx, tx, qInsertStage, st.RepoID, st.BuildID, st.Number, st.Name, st.Kind, st.Type, st.Status,
			st.Error, st.ErrIgnore, st.ExitCode, st.Machine, st.OS, st.Arch, st.Variant, st.Kernel, st.Limit,
			st.LimitRepo, st.Started, st.Stopped, st.Created, st.Updated, st.Version, st.OnSuccess, st.OnFailure,
			marshal(st.DependsOn), marshal(st.Labels)).Scan(&st.ID)
		if err != nil {
			return fmt.Errorf("inserting stage %s: %w", st.Name, err)
		}
	}
	return nil
}

// FindBuild returns build number of the repository.
func (s *Store) FindBuild(ctx context.Context, repoID, number int64) (*model.Build, error) {
	b, err := scanBuild(s.db.QueryRowContext(ctx, s.q(`SELECT `+buildColumns+` FROM core_builds WHERE repo_id = ? AND number = ?`), repoID, number))
	return b, notFound(err, fmt.Sprintf("build %d", number))
}

// ListBuilds returns a repository's builds, newest first.
func (s *Store) ListBuilds(ctx context.Context, repoID int64, limit, offset int) ([]*model.Build, error) {
	return s.FilterBuilds(ctx, repoID, BuildFilter{}, limit, offset)
}

// UpdateBuild writes b's state if its version is current, else ErrConflict.
func (s *Store) UpdateBuild(ctx context.Context, b *model.Build) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE core_builds SET status = ?, error = ?, started = ?, finished = ?,
updated = ?, version = version + 1 WHERE id = ? AND version = ?`), b.Status, b.Error, b.Started, b.Finished, b.Updated, b.ID, b.Version)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("build %d: %w", b.Number, ErrConflict)
	}
	b.Version++
	return nil
}

// SkipPending marks the repository's pending builds of that event and ref
// numbered below before as skipped, with their unfinished stages (Drone's
// auto-cancel, §4.2 step 23). It returns how many builds it skipped.
func (s *Store) SkipPending(ctx context.Context, repoID int64, event, ref string, before int64, now int64) (int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	_, err = tx.ExecContext(ctx, s.q(`UPDATE core_stages SET status = 'skipped', started = ?, stopped = ?, updated = ?, version = version + 1
WHERE status IN ('pending', 'waiting_on_dependencies', 'blocked') AND build_id IN (SELECT id FROM core_builds
WHERE repo_id = ? AND event = ? AND ref = ? AND status = 'pending' AND number < ?)`), now, now, now, repoID, event, ref, before)
	if err != nil {
		return 0, err
	}
	res, err := tx.ExecContext(ctx, s.q(`UPDATE core_builds SET status = 'skipped', started = ?, finished = ?, updated = ?, version = version + 1
WHERE repo_id = ? AND event = ? AND ref = ? AND status = 'pending' AND number < ?`), now, now, now, repoID, event, ref, before)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return n, tx.Commit()
}
