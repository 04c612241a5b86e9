package login

import (
	"context"
	"errors"
	"net/http"
	"time"

	"golang.org/x/oauth2"

	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/services/core/seal"
)

// Users is what login needs of the store.
type Users interface {
	FindUserLogin(ctx context.Context, login string) (*model.User, error)
	CreateUser(ctx context.Context, u *model.User) error
	UpdateUser(ctx context.Context, u *model.User) error
}

// ErrNoToken is returned for a user who never signed in through the SCM.
var ErrNoToken = errors.New("the user has no token on this SCM")

// Tokens gives the HTTP client that calls an SCM as a user, refreshing an
// expired token (GitLab's expire after two hours) and storing the new one
// sealed, so every replica uses it.
type Tokens struct {
	Providers map[string]Provider
	Users     Users
	Seal      *seal.Sealer
	// HTTP is the transport to the SCM (timeouts, test servers).
	HTTP *http.Client
}

// seal puts tok into u's sealed fields.
func (t *Tokens) seal(u *model.User, tok *oauth2.Token) error {
	access, err := t.Seal.Seal(tok.AccessToken)
	if err != nil {
		return err
	}
	refresh := ""
	if tok.RefreshToken != "" {
		if refresh, err = t.Seal.Seal(tok.RefreshToken); err != nil {
			return err
		}
	}
	u.SCMTokenSealed, u.SCMRefreshSealed, u.SCMExpiry = access, refresh, 0
	if !tok.Expiry.IsZero() {
		u.SCMExpiry = tok.Expiry.Unix()
	}
	return nil
}

// Client returns an HTTP client calling u's SCM with u's token.
func (t *Tokens) Client(ctx context.Context, u *model.User) (Provider, *http.Client, error) {
	p, ok := t.Providers[u.SCM]
	if !ok || u.SCMTokenSealed == "" {
		return nil, nil, ErrNoToken
	}
	access, err := t.Seal.Open(u.SCMTokenSealed)
	if err != nil {
		return nil, nil, err
	}
	tok := &oauth2.Token{AccessToken: access, TokenType: "Bearer"}
	if u.SCMRefreshSealed != "" {
		if tok.RefreshToken, err = t.Seal.Open(u.SCMRefreshSealed); err != nil {
			return nil, nil, err
		}
	}
	if u.SCMExpiry > 0 {
		tok.Expiry = time.Unix(u.SCMExpiry, 0)
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, t.HTTP)
	fresh, err := p.OAuth().TokenSource(ctx, tok).Token()
	if err != nil {
		return nil, nil, errors.New("refreshing the SCM token failed: sign in again")
	}
	if fresh.AccessToken != tok.AccessToken {
		if err := t.seal(u, fresh); err != nil {
			return nil, nil, err
		}
		u.Updated = time.Now().Unix()
		if err := t.Users.UpdateUser(ctx, u); err != nil {
			return nil, nil, err
		}
	}
	return p, oauth2.NewClient(ctx, oauth2.StaticTokenSource(fresh)), nil
}
