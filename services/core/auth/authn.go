package auth

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/services/core/store"
	"github.com/hangar-ci/hangar/shared/httperr"
)

// Users is what authentication needs of the store.
type Users interface {
	FindUser(ctx context.Context, id int64) (*model.User, error)
	FindUserToken(ctx context.Context, hash string) (*model.User, error)
}

// Authenticator puts the caller's user in the request context.
type Authenticator struct {
	Users    Users
	Sessions *Sessions
}

// Middleware identifies the caller by API token (Authorization: Bearer or
// ?access_token=) or else by session cookie. A request without credentials
// goes on anonymous; a wrong token or an inactive user is refused with 401
// before anything else of the request is read.
func (a *Authenticator) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, err := a.identify(r)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="hangar"`)
			httperr.Write(w, r, err)
			return
		}
		if u != nil {
			r = r.WithContext(WithUser(r.Context(), u))
		}
		next.ServeHTTP(w, r)
	})
}

func (a *Authenticator) identify(r *http.Request) (*model.User, error) {
	token := r.URL.Query().Get("access_token")
	if h := r.Header.Get("Authorization"); h != "" {
		t, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return nil, httperr.New(httperr.Unauthorized, "Authorization must be Bearer <token>")
		}
		token = t
	}
	var (
		u   *model.User
		err error
	)
	switch {
	case token != "":
		u, err = a.Users.FindUserToken(r.Context(), HashToken(token))
	case a.Sessions != nil:
		id, ok := a.Sessions.UserID(r)
		if !ok {
			return nil, nil
		}
		u, err = a.Users.FindUser(r.Context(), id)
	default:
		return nil, nil
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, httperr.New(httperr.Unauthorized, "invalid or expired token or session")
	case err != nil:
		return nil, httperr.Wrap(httperr.Unavailable, err, "database unavailable")
	case !u.Active:
		return nil, httperr.New(httperr.Unauthorized, "user %s is not active", u.Login)
	}
	return u, nil
}
