package store

import (
	"context"
	"strings"

	"github.com/hangar-ci/hangar/services/core/model"
)

// FindPerm returns what the user may do in the repository, as last synced.
func (s *Store) FindPerm(ctx context.Context, userID, repoID int64) (*model.Perm, error) {
	p := &model.Perm{UserID: userID, RepoID: repoID}
	err := s.db.QueryRowContext(ctx, s.q(`SELECT can_pull, can_push, can_admin, synced FROM core_perms
WHERE user_id = ? AND repo_id = ?`), userID, repoID).Scan(&p.Pull, &p.Push, &p.Admin, &p.Synced)
	return p, notFound(err, "permission")
}

// PutPerm inserts or replaces a permission.
func (s *Store) PutPerm(ctx context.Context, p *model.Perm) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO core_perms (user_id, repo_id, can_pull, can_push, can_admin, synced)
VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, repo_id) DO UPDATE SET can_pull = excluded.can_pull,
can_push = excluded.can_push, can_admin = excluded.can_admin, synced = excluded.synced`),
		p.UserID, p.RepoID, p.Pull, p.Push, p.Admin, p.Synced)
	return err
}

// ListUserRepos returns the repositories the user may pull, by slug.
func (s *Store) ListUserRepos(ctx context.Context, userID int64) ([]*model.Repo, error) {
	return queryAll(ctx, s, scanRepo, `SELECT `+prefixed("r.", repoColumns)+` FROM core_repos r
JOIN core_perms p ON p.repo_id = r.id WHERE p.user_id = ? AND p.can_pull ORDER BY r.slug_key, r.scm`, userID)
}

// NamespaceAdmin reports whether the user administers at least one
// repository of namespace (what organisation secrets ask of a member).
func (s *Store) NamespaceAdmin(ctx context.Context, userID int64, namespace string) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM core_perms p JOIN core_repos r ON r.id = p.repo_id
WHERE p.user_id = ? AND p.can_admin AND LOWER(r.namespace) = LOWER(?)`), userID, namespace).Scan(&n)
	return n > 0, err
}

// prefixed qualifies every column of a column list with prefix.
func prefixed(prefix, columns string) string {
	parts := strings.Split(columns, ",")
	for i, p := range parts {
		parts[i] = prefix + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

// SetRepoOwner makes the user the repository's owner: whose SCM token
// maintains its webhook when the caller has none (Drone's repo.UserID).
func (s *Store) SetRepoOwner(ctx context.Context, repoID, userID int64) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO core_repo_owners (repo_id, user_id) VALUES (?, ?)
ON CONFLICT (repo_id) DO UPDATE SET user_id = excluded.user_id`), repoID, userID)
	return err
}

// RepoOwner returns the repository's owner, ErrNotFound when it has none.
func (s *Store) RepoOwner(ctx context.Context, repoID int64) (*model.User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, s.q(`SELECT `+prefixed("u.", userColumns)+` FROM core_users u
JOIN core_repo_owners o ON o.user_id = u.id WHERE o.repo_id = ?`), repoID))
	return u, notFound(err, "owner")
}

// Collaborator is a user's synced permission in a repository, with the
// user's login and avatar.
type Collaborator struct {
	model.Perm
	Login, Avatar string
}

// ListCollaborators returns the repository's users with a synced
// permission, by login.
func (s *Store) ListCollaborators(ctx context.Context, repoID int64) ([]*Collaborator, error) {
	return queryAll(ctx, s, func(row interface{ Scan(...any) error }) (*Collaborator, error) {
		c := &Collaborator{}
		err := row.Scan(&c.UserID, &c.RepoID, &c.Pull, &c.Push, &c.Admin, &c.Synced, &c.Login, &c.Avatar)
		return c, err
	}, `SELECT p.user_id, p.repo_id, p.can_pull, p.can_push, p.can_admin, p.synced, u.login, u.avatar
FROM core_perms p JOIN core_users u ON u.id = p.user_id WHERE p.repo_id = ? ORDER BY u.login_key`, repoID)
}

// DeletePerm forgets a user's permission in a repository (it is synced
// again from the SCM on the user's next request).
func (s *Store) DeletePerm(ctx context.Context, userID, repoID int64) error {
	_, err := s.db.ExecContext(ctx, s.q(`DELETE FROM core_perms WHERE user_id = ? AND repo_id = ?`), userID, repoID)
	return err
}
