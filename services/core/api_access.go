package core

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hangar-ci/hangar/services/core/auth"
	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/services/core/seal"
	"github.com/hangar-ci/hangar/services/core/store"
	"github.com/hangar-ci/hangar/shared/httperr"
	"github.com/hangar-ci/hangar/shared/reqlog"
)

// Access is what a route asks of its caller in the repository.
type Access = auth.Access

// The access levels routes ask for.
const (
	Read        = auth.Read
	Write       = auth.Write
	AdminAccess = auth.Admin
)

// initAuth builds the sealer, the authenticator and the permission finder.
func (s *service) initAuth() error {
	sl, err := seal.New(s.opts.Auth.DatabaseSecret)
	if err != nil {
		return err
	}
	s.seal = sl
	s.authn = &auth.Authenticator{
		Users:    s.db,
		Sessions: auth.NewSessions(cookieSecret(s.opts.Auth.CookieSecret), s.opts.Auth.CookieTimeout, s.opts.ServerProto == "https"),
	}
	s.perms = &auth.Perms{Store: s.db, MaxAge: s.opts.Auth.PermMaxAge, Now: time.Now}
	s.initLogin()
	return nil
}

// apiTokenUser is the machine admin HANGAR_API_TOKEN belongs to.
const apiTokenUser = "hangar"

// seedUsers creates the users of DRONE_USER_CREATE and of HANGAR_API_TOKEN
// (a machine admin named "hangar"), or brings their flags and token up to
// date when they exist.
func (s *service) seedUsers(ctx context.Context) error {
	var seeds []auth.Seed
	if s.opts.Auth.UserCreate != "" {
		sd, err := auth.ParseSeed(s.opts.Auth.UserCreate)
		if err != nil {
			return fmt.Errorf("DRONE_USER_CREATE: %w", err)
		}
		seeds = append(seeds, sd)
	}
	if s.opts.APIToken != "" {
		// Never make a person who signed in as "hangar" an administrator.
		if u, err := s.db.FindUserLogin(ctx, apiTokenUser); err == nil && u.SCM != "" {
			return fmt.Errorf("HANGAR_API_TOKEN: the user %q signed in through %s: rename the token's user by using DRONE_USER_CREATE instead", apiTokenUser, u.SCM)
		}
		seeds = append(seeds, auth.Seed{Login: apiTokenUser, Admin: true, Machine: true, Token: s.opts.APIToken})
	}
	for _, sd := range seeds {
		// Replicas starting together seed the same users: the loser of a
		// create or an update reads the winner's row and tries again.
		err := s.seedUser(ctx, sd)
		for try := 0; errors.Is(err, store.ErrConflict) && try < 3; try++ {
			err = s.seedUser(ctx, sd)
		}
		if err != nil {
			return fmt.Errorf("creating user %s: %w", sd.Login, err)
		}
	}
	return nil
}

func (s *service) seedUser(ctx context.Context, sd auth.Seed) error {
	now := time.Now().Unix()
	u, err := s.db.FindUserLogin(ctx, sd.Login)
	isNew := errors.Is(err, store.ErrNotFound)
	if err != nil && !isNew {
		return err
	}
	if isNew {
		u = &model.User{Login: sd.Login, Active: true, Created: now}
	}
	u.Admin, u.Machine, u.Updated = sd.Admin, sd.Machine, now
	if sd.Token != "" || isNew {
		tok := sd.Token
		if tok == "" {
			tok = auth.NewToken()
		}
		if err := s.setToken(u, tok); err != nil {
			return err
		}
	}
	if isNew {
		return s.db.CreateUser(ctx, u)
	}
	return s.db.UpdateUser(ctx, u)
}

// setToken gives u the API token tok: its hash to find it, and the token
// sealed when a database key is set (so the user can read it back).
func (s *service) setToken(u *model.User, tok string) error {
	u.TokenHash, u.TokenSealed = auth.HashToken(tok), ""
	if s.seal.Enabled() {
		sealed, err := s.seal.Seal(tok)
		if err != nil {
			return err
		}
		u.TokenSealed = sealed
	}
	return nil
}

// loggedIn lets through authenticated callers.
func (s *service) loggedIn(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if auth.UserFrom(r.Context()) == nil {
			httperr.Write(w, r, errLogin)
			return
		}
		h(w, r)
	})
}

var errLogin = httperr.New(httperr.Unauthorized, "log in or send an API token (Authorization: Bearer …)")

// sysAdmin lets through system administrators.
func (s *service) sysAdmin(h http.HandlerFunc) http.Handler {
	return s.loggedIn(func(w http.ResponseWriter, r *http.Request) {
		if !auth.UserFrom(r.Context()).Admin {
			httperr.Write(w, r, httperr.New(httperr.Forbidden, "administrators only"))
			return
		}
		h(w, r)
	})
}

type (
	ctxRepoKey   struct{}
	ctxAccessKey struct{}
)

// repoAccess checks the caller's access to the repository of
// /{owner}/{name} (resolved by repoGate) and hands it to h.
func (s *service) repoAccess(need Access, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		repo, ok := r.Context().Value(ctxRepoKey{}).(*model.Repo)
		got, _ := r.Context().Value(ctxAccessKey{}).(Access)
		if !ok {
			var err error
			if repo, err = s.lookupRepo(r); err != nil {
				httperr.Write(w, r, err)
				return
			}
			if got, err = s.access(r, repo); err != nil {
				httperr.Write(w, r, err)
				return
			}
		}
		if err := refusal(r, repo.Slug, need, got); err != nil {
			httperr.Write(w, r, err)
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), ctxRepoKey{}, repo)))
	})
}

// access is the caller's access to repo.
func (s *service) access(r *http.Request, repo *model.Repo) (Access, error) {
	u := auth.UserFrom(r.Context())
	perm, err := s.perms.Find(r.Context(), u, repo)
	if err != nil {
		return auth.None, httperr.Wrap(httperr.Unavailable, err, "permissions unavailable")
	}
	return auth.Level(u, repo, perm), nil
}

// refusal is the error for a caller with access got to a route needing
// need, nil when allowed. A repository the caller may not read is reported
// as missing to logged-in users, as Drone does, so private names do not
// leak.
func refusal(r *http.Request, slug string, need, got Access) error {
	switch {
	case got >= need:
		return nil
	case auth.UserFrom(r.Context()) == nil:
		return errLogin
	case got < Read:
		return httperr.New(httperr.NotFound, "repository %s not found", slug)
	}
	return httperr.New(httperr.Forbidden, "%s access to %s needed, you have %s", need, slug, got)
}

// repoGate makes read access the floor of every route under
// /api/repos/{owner}/{name}/… and /api/stream/{owner}/{name}/…, whoever
// registers it: the repository is resolved and the caller's access
// computed once, before routing, and handed on to repoAccess. An unknown
// repository goes on only for system administrators (enabling a new one).
func (s *service) repoGate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		slug, ok := repoPath(r.URL.EscapedPath())
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		repo, err := s.lookupSlug(r, slug)
		if httperr.Status(err) == http.StatusNotFound {
			if u := auth.UserFrom(r.Context()); u != nil && u.Admin {
				next.ServeHTTP(w, r)
				return
			}
			if auth.UserFrom(r.Context()) == nil {
				err = errLogin
			}
		}
		if err != nil {
			httperr.Write(w, r, err)
			return
		}
		got, err := s.access(r, repo)
		if err == nil {
			err = refusal(r, repo.Slug, Read, got)
		}
		if err != nil {
			httperr.Write(w, r, err)
			return
		}
		reqlog.Annotate(r.Context(), slog.String("repo", repo.Slug))
		ctx := context.WithValue(context.WithValue(r.Context(), ctxRepoKey{}, repo), ctxAccessKey{}, got)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// repoPath returns the slug of /api/repos/{owner}/{name}[/…] and
// /api/stream/{owner}/{name}/…, segments unescaped as the mux does.
func repoPath(escaped string) (string, bool) {
	parts := strings.Split(strings.TrimPrefix(escaped, "/"), "/")
	if len(parts) < 4 || parts[0] != "api" || (parts[1] != "repos" && parts[1] != "stream") || parts[2] == "" || parts[3] == "" {
		return "", false
	}
	owner, err1 := url.PathUnescape(parts[2])
	name, err2 := url.PathUnescape(parts[3])
	if err1 != nil || err2 != nil {
		return "", false
	}
	return owner + "/" + name, true
}

// enableAccess guards POST /api/repos/{owner}/{name}: admin access to a
// known repository; only system administrators add an unknown one.
func (s *service) enableAccess(h http.HandlerFunc) http.Handler {
	checked := s.repoAccess(AdminAccess, h)
	return s.loggedIn(func(w http.ResponseWriter, r *http.Request) {
		if _, err := s.findRepo(r); httperr.Status(err) == http.StatusNotFound && auth.UserFrom(r.Context()).Admin {
			h(w, r)
			return
		}
		checked.ServeHTTP(w, r)
	})
}

// orgAccess guards organisation secrets: system administrators, the user
// whose login the namespace is, and administrators of a repository of the
// namespace.
func (s *service) orgAccess(h http.HandlerFunc) http.Handler {
	return s.loggedIn(func(w http.ResponseWriter, r *http.Request) {
		u, ns := auth.UserFrom(r.Context()), r.PathValue("namespace")
		ok := u.Admin || u.Login == ns
		if !ok {
			var err error
			if ok, err = s.db.NamespaceAdmin(r.Context(), u.ID, ns); err != nil {
				httperr.Write(w, r, storeError(err, "permissions"))
				return
			}
		}
		if !ok {
			httperr.Write(w, r, httperr.New(httperr.Forbidden, "administrators of %s only", ns))
			return
		}
		h(w, r)
	})
}
