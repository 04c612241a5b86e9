package store

import (
	"context"
	"fmt"

	"github.com/hangar-ci/hangar/services/core/model"
)

const secretColumns = `id, repo_id, namespace, name, data_sealed, pull_request, pull_request_push, created, updated`

func scanSecret(row interface{ Scan(...any) error }) (*model.Secret, error) {
	s := new(model.Secret)
	err := row.Scan(&s.ID, &s.RepoID, &s.Namespace, &s.Name, &s.Data, &s.PullRequest, &s.PullRequestPush, &s.Created, &s.Updated)
	return s, err
}

// CreateSecret inserts sec (Data already sealed); a name taken in the same
// repository or namespace is ErrConflict.
func (s *Store) CreateSecret(ctx context.Context, sec *model.Secret) error {
	err := s.db.QueryRowContext(ctx, s.q(`INSERT INTO core_secrets (repo_id, namespace, name, data_sealed, pull_request,
pull_request_push, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		sec.RepoID, sec.Namespace, sec.Name, sec.Data, sec.PullRequest, sec.PullRequestPush, sec.Created, sec.Updated).Scan(&sec.ID)
	if isUnique(err) {
		return fmt.Errorf("secret %s: %w", sec.Name, ErrConflict)
	}
	return err
}

// UpdateSecret writes sec's value and flags.
func (s *Store) UpdateSecret(ctx context.Context, sec *model.Secret) error {
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE core_secrets SET data_sealed = ?, pull_request = ?, pull_request_push = ?,
updated = ? WHERE id = ?`), sec.Data, sec.PullRequest, sec.PullRequestPush, sec.Updated, sec.ID)
	return err
}

// FindSecret returns the secret name of a repository (repoID > 0) or of a
// namespace (repoID 0).
func (s *Store) FindSecret(ctx context.Context, repoID int64, namespace, name string) (*model.Secret, error) {
	sec, err := scanSecret(s.db.QueryRowContext(ctx, s.q(`SELECT `+secretColumns+` FROM core_secrets
WHERE repo_id = ? AND namespace = ? AND name = ?`), repoID, namespace, name))
	return sec, notFound(err, "secret "+name)
}

// ListSecrets returns the secrets of a repository (repoID > 0) or of a
// namespace (repoID 0), by name; namespace "" with repoID 0 lists every
// organisation secret.
func (s *Store) ListSecrets(ctx context.Context, repoID int64, namespace string) ([]*model.Secret, error) {
	query, args := `SELECT `+secretColumns+` FROM core_secrets WHERE repo_id = ? AND namespace = ? ORDER BY name`, []any{repoID, namespace}
	if repoID == 0 && namespace == "" {
		query, args = `SELECT `+secretColumns+` FROM core_secrets WHERE repo_id = 0 ORDER BY namespace, name`, nil
	}
	return queryAll(ctx, s, scanSecret, query, args...)
}

// DeleteSecret removes the secret with id.
func (s *Store) DeleteSecret(ctx context.Context, id int64) error {
	_, err := s.db.ExecContext(ctx, s.q(`DELETE FROM core_secrets WHERE id = ?`), id)
	return err
}
