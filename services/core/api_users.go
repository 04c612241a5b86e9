package core

import (
	"errors"
	"net/http"
	"regexp"
	"time"

	"github.com/drone/drone-go/drone"

	"github.com/hangar-ci/hangar/services/core/auth"
	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/services/core/store"
	"github.com/hangar-ci/hangar/shared/httperr"
	"github.com/hangar-ci/hangar/shared/wire"
)

// toDroneUser is a user as Drone's API shows it; token is set only where
// Drone shows it (a new account, a token request).
func toDroneUser(u *model.User, token string) *drone.User {
	return &drone.User{
		ID: u.ID, Login: u.Login, Email: u.Email, Avatar: u.Avatar, Active: u.Active, Admin: u.Admin,
		Machine: u.Machine, Synced: u.Synced, Created: u.Created, Updated: u.Updated, LastLogin: u.LastLogin, Token: token,
	}
}

func (s *service) showSelf(w http.ResponseWriter, r *http.Request) {
	wire.WriteJSON(w, http.StatusOK, toDroneUser(auth.UserFrom(r.Context()), ""))
}

// rotateToken is POST /api/user/token: the caller's token, a new one with
// ?rotate=true (the old one stops working at once).
func (s *service) rotateToken(w http.ResponseWriter, r *http.Request) {
	u := auth.UserFrom(r.Context())
	if r.URL.Query().Get("rotate") != "true" {
		if !s.seal.Enabled() || u.TokenSealed == "" {
			httperr.Write(w, r, httperr.New(httperr.Conflict, "the token is kept only as a hash (no DRONE_DATABASE_SECRET): ask for a new one with ?rotate=true"))
			return
		}
		tok, err := s.seal.Open(u.TokenSealed)
		if err != nil {
			httperr.Write(w, r, httperr.Wrap(httperr.Internal, err, "stored token unreadable"))
			return
		}
		wire.WriteJSON(w, http.StatusOK, toDroneUser(u, tok))
		return
	}
	tok := auth.NewToken()
	if err := s.setToken(u, tok); err != nil {
		httperr.Write(w, r, httperr.Wrap(httperr.Internal, err, "sealing the token failed"))
		return
	}
	u.Updated = time.Now().Unix()
	if err := s.db.UpdateUser(r.Context(), u); err != nil {
		httperr.Write(w, r, storeError(err, "user"))
		return
	}
	wire.WriteJSON(w, http.StatusOK, toDroneUser(u, tok))
}

// listUserRepos is GET /api/user/repos: the repositories the caller may
// pull, every repository for system administrators (?latest=true: each
// with its newest build). POST first syncs the caller's repositories and
// permissions from the SCM (Drone's sync).
func (s *service) listUserRepos(w http.ResponseWriter, r *http.Request) {
	u := auth.UserFrom(r.Context())
	if r.Method == http.MethodPost {
		if err := s.syncRepos(r.Context(), u); err != nil {
			httperr.Write(w, r, httperr.Wrap(httperr.Unavailable, err, "syncing repositories from %s failed", u.SCM))
			return
		}
	}
	out, err := s.userRepoList(r, r.URL.Query().Get("latest") == "true", false)
	if err != nil {
		httperr.Write(w, r, err)
		return
	}
	wire.WriteJSON(w, http.StatusOK, out)
}

// recentBuilds is GET /api/user/builds: the caller's repositories that
// have builds, each with its newest.
func (s *service) recentBuilds(w http.ResponseWriter, r *http.Request) {
	out, err := s.userRepoList(r, true, true)
	if err != nil {
		httperr.Write(w, r, err)
		return
	}
	wire.WriteJSON(w, http.StatusOK, out)
}

// userRepoList lists the caller's repositories, with their newest build
// when latest is set, only those with one when built is set.
func (s *service) userRepoList(r *http.Request, latest, built bool) ([]*wire.Repository, error) {
	u := auth.UserFrom(r.Context())
	var (
		repos []*model.Repo
		err   error
	)
	if u.Admin {
		repos, err = s.db.ListRepos(r.Context())
	} else {
		repos, err = s.db.ListUserRepos(r.Context(), u.ID)
	}
	if err != nil {
		return nil, storeError(err, "repositories")
	}
	out := make([]*wire.Repository, 0, len(repos))
	for _, repo := range repos {
		wr := toWireRepo(repo)
		if latest {
			b, err := s.db.LatestBuild(r.Context(), repo.ID, "")
			switch {
			case err == nil:
				wr.Build = toWireBuild(b, nil)
			case !errors.Is(err, store.ErrNotFound):
				return nil, storeError(err, "builds")
			}
		}
		if built && wr.Build == nil {
			continue
		}
		out = append(out, wr)
	}
	return out, nil
}

func (s *service) listUsers(w http.ResponseWriter, r *http.Request) {
	users, err := s.db.ListUsers(r.Context())
	if err != nil {
		httperr.Write(w, r, storeError(err, "users"))
		return
	}
	out := make([]*drone.User, 0, len(users))
	for _, u := range users {
		out = append(out, toDroneUser(u, ""))
	}
	wire.WriteJSON(w, http.StatusOK, out)
}

// validLogin is what an SCM allows in a login (GitLab's nested paths
// excepted: logins are never nested).
var validLogin = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

// createUser is POST /api/users; the token is shown in the answer, once,
// as Drone shows it for the new account.
func (s *service) createUser(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Login   string `json:"login"`
		Email   string `json:"email"`
		Avatar  string `json:"avatar_url"`
		Admin   bool   `json:"admin"`
		Machine bool   `json:"machine"`
		Active  bool   `json:"active"` // ignored: a new account is active, as in Drone
		Token   string `json:"token"`
		// The rest of drone-go's User, ignored.
		ID        int64 `json:"id"`
		Syncing   bool  `json:"syncing"`
		Synced    int64 `json:"synced"`
		Created   int64 `json:"created"`
		Updated   int64 `json:"updated"`
		LastLogin int64 `json:"last_login"`
	}
	if err := decodeAPI(w, r, &in); err != nil {
		httperr.Write(w, r, err)
		return
	}
	if !validLogin.MatchString(in.Login) {
		httperr.Write(w, r, httperr.New(httperr.Invalid, "login %q is not a valid user name", in.Login))
		return
	}
	if in.Token != "" && len(in.Token) < 16 {
		httperr.Write(w, r, httperr.New(httperr.Invalid, "token must be at least 16 characters"))
		return
	}
	now := time.Now().Unix()
	u := &model.User{Login: in.Login, Email: in.Email, Avatar: in.Avatar, Admin: in.Admin, Machine: in.Machine,
		Active: true, Created: now, Updated: now}
	tok := in.Token
	if tok == "" {
		tok = auth.NewToken()
	}
	if err := s.setToken(u, tok); err != nil {
		httperr.Write(w, r, httperr.Wrap(httperr.Internal, err, "sealing the token failed"))
		return
	}
	if err := s.db.CreateUser(r.Context(), u); err != nil {
		httperr.Write(w, r, storeError(err, "user "+in.Login))
		return
	}
	shown := ""
	if in.Token == "" {
		shown = tok // generated here: the caller's only chance to see it
	}
	wire.WriteJSON(w, http.StatusOK, toDroneUser(u, shown))
}

func (s *service) findUser(w http.ResponseWriter, r *http.Request) (*model.User, bool) {
	u, err := s.db.FindUserLogin(r.Context(), r.PathValue("user"))
	if err != nil {
		httperr.Write(w, r, storeError(err, "user "+r.PathValue("user")))
		return nil, false
	}
	return u, true
}

func (s *service) showUser(w http.ResponseWriter, r *http.Request) {
	if u, ok := s.findUser(w, r); ok {
		wire.WriteJSON(w, http.StatusOK, toDroneUser(u, ""))
	}
}

func (s *service) updateUser(w http.ResponseWriter, r *http.Request) {
	u, ok := s.findUser(w, r)
	if !ok {
		return
	}
	var in drone.UserPatch
	if err := decodeAPI(w, r, &in); err != nil {
		httperr.Write(w, r, err)
		return
	}
	if in.Active != nil {
		u.Active = *in.Active
	}
	if in.Admin != nil {
		u.Admin = *in.Admin
	}
	if in.Machine != nil {
		u.Machine = *in.Machine
	}
	if in.Token != nil {
		if len(*in.Token) < 16 {
			httperr.Write(w, r, httperr.New(httperr.Invalid, "token must be at least 16 characters"))
			return
		}
		if err := s.setToken(u, *in.Token); err != nil {
			httperr.Write(w, r, httperr.Wrap(httperr.Internal, err, "sealing the token failed"))
			return
		}
	}
	u.Updated = time.Now().Unix()
	if err := s.db.UpdateUser(r.Context(), u); err != nil {
		httperr.Write(w, r, storeError(err, "user"))
		return
	}
	wire.WriteJSON(w, http.StatusOK, toDroneUser(u, ""))
}

func (s *service) deleteUser(w http.ResponseWriter, r *http.Request) {
	u, ok := s.findUser(w, r)
	if !ok {
		return
	}
	if u.ID == auth.UserFrom(r.Context()).ID {
		httperr.Write(w, r, httperr.New(httperr.Conflict, "you cannot remove yourself"))
		return
	}
	if err := s.db.DeleteUser(r.Context(), u.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		httperr.Write(w, r, storeError(err, "user"))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
