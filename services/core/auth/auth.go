// Package auth identifies the caller of the core server's API — by API
// token (Authorization: Bearer, ?access_token=) or session cookie — and
// decides what a user may do in a repository from permissions synced from
// the SCM, as Drone does.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"

	"github.com/hangar-ci/hangar/services/core/model"
)

type userKey struct{}

// WithUser returns ctx carrying the authenticated user.
func WithUser(ctx context.Context, u *model.User) context.Context {
	return context.WithValue(ctx, userKey{}, u)
}

// UserFrom returns the authenticated user, nil for an anonymous request.
func UserFrom(ctx context.Context) *model.User {
	u, _ := ctx.Value(userKey{}).(*model.User)
	return u
}

// NewToken returns a fresh API token: 32 random bytes, hex.
func NewToken() string {
	var b [32]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// HashToken is how a token is found in the database: only its SHA-256 is
// indexed, so a read of the users table does not yield usable tokens.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
