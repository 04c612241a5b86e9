package login

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/hangar-ci/hangar/services/core/auth"
	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/services/core/store"
	"github.com/hangar-ci/hangar/shared/httperr"
)

// Handler serves GET /login/{provider}: without ?code= it sends the
// browser to the SCM's consent page; on the way back it exchanges the
// code, finds or registers the user and sets the session cookie.
type Handler struct {
	Tokens   *Tokens
	Sessions *auth.Sessions
	// Filter lists the logins and organisations allowed to register
	// (DRONE_USER_FILTER); empty allows everyone.
	Filter []string
	// Closed refuses every new user (DRONE_REGISTRATION_CLOSED).
	Closed bool
	Log    *slog.Logger
	Now    func() time.Time
}

const stateCookie = "_oauth_state_"

// ServeHTTP handles one step of the login.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p, ok := h.Tokens.Providers[r.PathValue("provider")]
	if !ok {
		httperr.Write(w, r, httperr.New(httperr.NotFound, "no login with %q is configured", r.PathValue("provider")))
		return
	}
	if e := r.URL.Query().Get("error"); e != "" {
		httperr.Write(w, r, httperr.New(httperr.Forbidden, "the SCM refused the login: %s", truncate(e, 100)))
		return
	}
	code := r.URL.Query().Get("code")
	if code == "" {
		h.start(w, r, p)
		return
	}
	c, err := r.Cookie(stateCookie)
	if err != nil || subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.URL.Query().Get("state"))) != 1 {
		httperr.Write(w, r, httperr.New(httperr.Invalid, "login state missing or wrong: start again at /login"))
		return
	}
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Path: "/login", MaxAge: -1})
	u, err := h.finish(r.Context(), p, code)
	if err != nil {
		httperr.Write(w, r, err)
		return
	}
	cookie, err := h.Sessions.Cookie(u.ID)
	if err != nil {
		httperr.Write(w, r, httperr.Wrap(httperr.Unavailable, err, "%v", err))
		return
	}
	http.SetCookie(w, cookie)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (h *Handler) start(w http.ResponseWriter, r *http.Request, p Provider) {
	var b [16]byte
	rand.Read(b[:])
	state := hex.EncodeToString(b[:])
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Value: state, Path: "/login", MaxAge: 600, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, p.OAuth().AuthCodeURL(state), http.StatusSeeOther)
}

// finish exchanges the code and signs the user in, registering them when
// new and allowed.
func (h *Handler) finish(ctx context.Context, p Provider, code string) (*model.User, error) {
	ctx = context.WithValue(ctx, oauth2.HTTPClient, h.Tokens.HTTP)
	tok, err := p.OAuth().Exchange(ctx, code)
	if err != nil {
		return nil, httperr.New(httperr.Unauthorized, "the SCM did not accept the login code")
	}
	hc := oauth2.NewClient(ctx, oauth2.StaticTokenSource(tok))
	acct, err := p.Account(ctx, hc)
	if err != nil || acct.Login == "" {
		return nil, httperr.New(httperr.Unavailable, "reading the account from %s failed", p.Kind())
	}
	now := h.Now().Unix()
	u, err := h.Tokens.Users.FindUserLogin(ctx, acct.Login)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if err := h.admit(ctx, p, hc, acct.Login); err != nil {
			return nil, err
		}
		u = &model.User{Login: acct.Login, SCM: p.Kind(), Active: true, Created: now, TokenHash: auth.HashToken(auth.NewToken())}
	case err != nil:
		return nil, httperr.Wrap(httperr.Unavailable, err, "database unavailable")
	case u.SCM != p.Kind():
		return nil, httperr.New(httperr.Conflict, "the account %s belongs to another SCM or was made by an administrator", u.Login)
	case !u.Active:
		return nil, httperr.New(httperr.Forbidden, "the account %s is blocked", u.Login)
	}
	u.Email, u.Avatar, u.LastLogin, u.Updated = acct.Email, acct.Avatar, now, now
	if err := h.Tokens.seal(u, tok); err != nil {
		return nil, httperr.Wrap(httperr.Unavailable, err, "%v", err)
	}
	if u.ID == 0 {
		if err = h.Tokens.Users.CreateUser(ctx, u); err == nil {
			h.Log.Info("login: new user", slog.String("login", u.Login), slog.String("scm", u.SCM))
		}
	} else {
		err = h.Tokens.Users.UpdateUser(ctx, u)
	}
	if err != nil {
		return nil, httperr.Wrap(httperr.Unavailable, err, "saving the user failed")
	}
	return u, nil
}

// admit decides whether a new user may register.
func (h *Handler) admit(ctx context.Context, p Provider, hc *http.Client, login string) error {
	if h.Closed {
		return httperr.New(httperr.Forbidden, "registration is closed: ask an administrator for an account")
	}
	if len(h.Filter) == 0 || slices.ContainsFunc(h.Filter, func(f string) bool { return strings.EqualFold(f, login) }) {
		return nil
	}
	orgs, err := p.Orgs(ctx, hc)
	if err != nil {
		return httperr.New(httperr.Unavailable, "reading your organisations from %s failed", p.Kind())
	}
	for _, o := range orgs {
		if slices.ContainsFunc(h.Filter, func(f string) bool { return strings.EqualFold(f, o) }) {
			return nil
		}
	}
	return httperr.New(httperr.Forbidden, "%s is not in an organisation allowed to register", login)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
