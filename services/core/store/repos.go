package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/hangar-ci/hangar/services/core/model"
)

const repoColumns = `id, uid, namespace, name, slug, scm, git_http_url, git_ssh_url, link,
default_branch, private, visibility, active, config_path, trusted, protected, ignore_forks,
ignore_pulls, cancel_pulls, cancel_push, timeout, throttle, counter, secret, created, updated, version`

func scanRepo(row interface{ Scan(...any) error }) (*model.Repo, error) {
	r := new(model.Repo)
	err := row.Scan(&r.ID, &r.UID, &r.Namespace, &r.Name, &r.Slug, &r.SCM, &r.HTTPURL, &r.SSHURL, &r.Link,
		&r.Branch, &r.Private, &r.Visibility, &r.Active, &r.Config, &r.Trusted, &r.Protected, &r.IgnoreForks,
		&r.IgnorePulls, &r.CancelPulls, &r.CancelPush, &r.Timeout, &r.Throttle, &r.Counter, &r.Secret,
		&r.Created, &r.Updated, &r.Version)
	return r, err
}

// CreateRepo inserts r with version 1 and sets its id. A repository of the
// same SCM and slug (case-insensitive) is ErrConflict.
func (s *Store) CreateRepo(ctx context.Context, r *model.Repo) error {
	r.Version = 1
	err := s.db.QueryRowContext(ctx, s.q(`INSERT INTO core_repos (uid, namespace, name, slug, slug_key, scm,
git_http_url, git_ssh_url, link, default_branch, private, visibility, active, config_path, trusted, protected,
ignore_forks, ignore_pulls, cancel_pulls, cancel_push, timeout, throttle, counter, secret, created, updated, version)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		r.UID, r.Namespace, r.Name, r.Slug, strings.ToLower(r.Slug), r.SCM, r.HTTPURL, r.SSHURL, r.Link, r.Branch,
		r.Private, r.Visibility, r.Active, r.Config, r.Trusted, r.Protected, r.IgnoreForks, r.IgnorePulls,
		r.CancelPulls, r.CancelPush, r.Timeout, r.Throttle, r.Counter, r.Secret, r.Created, r.Updated, r.Version).Scan(&r.ID)
	if isUnique(err) {
		return fmt.Errorf("repository %s on %s: %w", r.Slug, r.SCM, ErrConflict)
	}
	return err
}

// UpdateRepo writes r's settings if its version is still current (the
// counter is left alone: only CreateBuild moves it).
func (s *Store) UpdateRepo(ctx context.Context, r *model.Repo) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE core_repos SET uid = ?, git_http_url = ?, git_ssh_url = ?, link = ?,
default_branch = ?, private = ?, visibility = ?, active = ?, config_path = ?, trusted = ?, protected = ?,
ignore_forks = ?, ignore_pulls = ?, cancel_pulls = ?, cancel_push = ?, timeout = ?, throttle = ?, secret = ?,
updated = ?, version = version + 1 WHERE id = ? AND version = ?`),
		r.UID, r.HTTPURL, r.SSHURL, r.Link, r.Branch, r.Private, r.Visibility, r.Active, r.Config, r.Trusted,
		r.Protected, r.IgnoreForks, r.IgnorePulls, r.CancelPulls, r.CancelPush, r.Timeout, r.Throttle, r.Secret,
		r.Updated, r.ID, r.Version)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("repository %s: %w", r.Slug, ErrConflict)
	}
	r.Version++
	return nil
}

// FindRepo returns the repository with id.
func (s *Store) FindRepo(ctx context.Context, id int64) (*model.Repo, error) {
	r, err := scanRepo(s.db.QueryRowContext(ctx, s.q(`SELECT `+repoColumns+` FROM core_repos WHERE id = ?`), id))
	return r, notFound(err, "repository")
}

const qRepoBySlug = `SELECT ` + repoColumns + ` FROM core_repos WHERE scm = ? AND slug_key = ?`

// FindRepoSlug returns the repository of scm named slug, ignoring case.
func (s *Store) FindRepoSlug(ctx context.Context, scm, slug string) (*model.Repo, error) {
	r, err := scanRepo(s.row(ctx, qRepoBySlug,
		scm, strings.ToLower(slug)))
	return r, notFound(err, "repository "+slug)
}

// ListRepos returns every repository by slug.
func (s *Store) ListRepos(ctx context.Context) ([]*model.Repo, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+repoColumns+` FROM core_repos ORDER BY slug_key, scm`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*model.Repo
	for rows.Next() {
		r, err := scanRepo(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// HookSecrets returns the distinct webhook secrets of scm's repositories,
// "" standing for those without one: what a hook without a named
// repository may be signed with.
func (s *Store) HookSecrets(ctx context.Context, scm string) ([]string, error) {
	return column[string](ctx, s, `SELECT DISTINCT secret FROM core_repos WHERE scm = ?`, scm)
}
