package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/hangar-ci/hangar/services/core/model"
)

const userColumns = `id, login, email, avatar, scm, admin, machine, active, token_hash, token_sealed,
scm_token_sealed, scm_refresh_sealed, scm_expiry, synced, last_login, created, updated`

func scanUser(row interface{ Scan(...any) error }) (*model.User, error) {
	u := new(model.User)
	err := row.Scan(&u.ID, &u.Login, &u.Email, &u.Avatar, &u.SCM, &u.Admin, &u.Machine, &u.Active, &u.TokenHash,
		&u.TokenSealed, &u.SCMTokenSealed, &u.SCMRefreshSealed, &u.SCMExpiry, &u.Synced, &u.LastLogin, &u.Created, &u.Updated)
	return u, err
}

// CreateUser inserts u and sets its id; a login taken (ignoring case) is
// ErrConflict.
func (s *Store) CreateUser(ctx context.Context, u *model.User) error {
	err := s.db.QueryRowContext(ctx, s.q(`INSERT INTO core_users (login, login_key, email, avatar, scm, admin, machine,
active, token_hash, token_sealed, scm_token_sealed, scm_refresh_sealed, scm_expiry, synced, last_login, created, updated)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		u.Login, strings.ToLower(u.Login), u.Email, u.Avatar, u.SCM, u.Admin, u.Machine, u.Active, u.TokenHash,
		u.TokenSealed, u.SCMTokenSealed, u.SCMRefreshSealed, u.SCMExpiry, u.Synced, u.LastLogin, u.Created, u.Updated).Scan(&u.ID)
	if isUnique(err) {
		return fmt.Errorf("user %s: %w", u.Login, ErrConflict)
	}
	return err
}

// UpdateUser writes every field of u but its login.
func (s *Store) UpdateUser(ctx context.Context, u *model.User) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE core_users SET email = ?, avatar = ?, scm = ?, admin = ?, machine = ?,
active = ?, token_hash = ?, token_sealed = ?, scm_token_sealed = ?, scm_refresh_sealed = ?, scm_expiry = ?, synced = ?,
last_login = ?, updated = ? WHERE id = ?`),
		u.Email, u.Avatar, u.SCM, u.Admin, u.Machine, u.Active, u.TokenHash, u.TokenSealed, u.SCMTokenSealed,
		u.SCMRefreshSealed, u.SCMExpiry, u.Synced, u.LastLogin, u.Updated, u.ID)
	if isUnique(err) {
		return fmt.Errorf("user %s: %w", u.Login, ErrConflict)
	}
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("user %s: %w", u.Login, ErrNotFound)
	}
	return nil
}

// FindUser returns the user with id.
func (s *Store) FindUser(ctx context.Context, id int64) (*model.User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, s.q(`SELECT `+userColumns+` FROM core_users WHERE id = ?`), id))
	return u, notFound(err, "user")
}

// FindUserLogin returns the user named login, ignoring case.
func (s *Store) FindUserLogin(ctx context.Context, login string) (*model.User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, s.q(`SELECT `+userColumns+` FROM core_users WHERE login_key = ?`), strings.ToLower(login)))
	return u, notFound(err, "user "+login)
}

// FindUserToken returns the user whose API token hashes to hash.
func (s *Store) FindUserToken(ctx context.Context, hash string) (*model.User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, s.q(`SELECT `+userColumns+` FROM core_users WHERE token_hash = ?`), hash))
	return u, notFound(err, "user")
}

// ListUsers returns every user by login.
func (s *Store) ListUsers(ctx context.Context) ([]*model.User, error) {
	return queryAll(ctx, s, scanUser, `SELECT `+userColumns+` FROM core_users ORDER BY login_key`)
}

// CountUsers returns how many users exist.
func (s *Store) CountUsers(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM core_users`).Scan(&n)
	return n, err
}

// DeleteUser removes the user with id and its permissions.
func (s *Store) DeleteUser(ctx context.Context, id int64) error {
	res, err := s.db.ExecContext(ctx, s.q(`DELETE FROM core_users WHERE id = ?`), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("user: %w", ErrNotFound)
	}
	return nil
}
