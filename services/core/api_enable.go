package core

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/hangar-ci/hangar/services/core/auth"
	"github.com/hangar-ci/hangar/services/core/login"
	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/services/core/store"
	"github.com/hangar-ci/hangar/shared/httperr"
	"github.com/hangar-ci/hangar/shared/wire"
)

// enableRepo is Drone's POST /api/repos/{owner}/{name}: it activates a
// known repository; a system administrator may also add one Hangar has
// not seen, on the SCM named by ?scm= (default github), with the defaults
// of POST /api/repos. The answer never holds the webhook secret.
func (s *service) enableRepo(w http.ResponseWriter, r *http.Request) {
	repo, err := s.findRepo(r)
	if httperr.Status(err) == http.StatusNotFound {
		s.addRepo(w, r)
		return
	}
	if err != nil {
		httperr.Write(w, r, err)
		return
	}
	if !repo.Active {
		if err := s.addHook(r, repo); err != nil {
			httperr.Write(w, r, err)
			return
		}
		if err := s.setActive(r, repo, true); err != nil {
			httperr.Write(w, r, err)
			return
		}
	}
	wire.WriteJSON(w, http.StatusOK, toWireRepo(repo))
}

func (s *service) addRepo(w http.ResponseWriter, r *http.Request) {
	ns, name := r.PathValue("owner"), r.PathValue("name")
	kind := r.URL.Query().Get("scm")
	if kind == "" {
		kind = "github"
	}
	if kind != "github" && kind != "gitlab" || ns == "" || name == "" || strings.Contains(name, "/") {
		httperr.Write(w, r, httperr.New(httperr.Invalid, "scm must be github or gitlab, owner and name set"))
		return
	}
	now := s.trigger.now().Unix()
	repo := &model.Repo{
		Namespace: ns, Name: name, Slug: ns + "/" + name, SCM: kind, Config: ".drone.yml", Branch: "main",
		Visibility: "private", Private: true, Active: true, Timeout: 60, Secret: randomSecret(), Created: now, Updated: now,
	}
	if err := s.addHook(r, repo); err != nil {
		httperr.Write(w, r, err)
		return
	}
	if err := s.store.CreateRepo(r.Context(), repo); err != nil {
		httperr.Write(w, r, storeError(err, "repository "+repo.Slug))
		return
	}
	s.repoEvent(r, repo, wire.ActionEnabled)
	wire.WriteJSON(w, http.StatusOK, toWireRepo(repo))
}

// addHook creates the repository's webhook on its SCM with the caller's
// own token, as Drone does on activation; a caller without a token on
// that SCM (a machine user) activates without it, and the webhook is then
// configured by hand with the repository's secret.
func (s *service) addHook(r *http.Request, repo *model.Repo) error {
	return s.withHooks(r, repo, "creating", login.PermSource.AddHook)
}

// removeHook deletes the repository's webhooks to this server on
// disable, with the caller's token when they have one.
func (s *service) removeHook(r *http.Request, repo *model.Repo) error {
	return s.withHooks(r, repo, "removing", login.PermSource.RemoveHooks)
}

func (s *service) withHooks(r *http.Request, repo *model.Repo, doing string,
	do func(login.PermSource, context.Context, *model.User, *model.Repo, string) error) error {
	u, err := s.hookUser(r, repo)
	if u == nil || err != nil {
		return err
	}
	// The per-repository hook URL: only this repository's secret is tried.
	link := s.opts.ServerProto + "://" + s.opts.ServerHost + "/hook?repo=" + url.QueryEscape(repo.Slug)
	if err := do(login.PermSource{Tokens: s.tokens}, r.Context(), u, repo, link); err != nil {
		return httperr.Wrap(httperr.Unavailable, err, "%s the webhook on %s failed: %v", doing, repo.SCM, err)
	}
	if repo.ID != 0 && u == auth.UserFrom(r.Context()) {
		if _, err := s.db.RepoOwner(r.Context(), repo.ID); errors.Is(err, store.ErrNotFound) {
			return s.db.SetRepoOwner(r.Context(), repo.ID, u.ID) // the first to set the hook owns it
		}
	}
	return nil
}

// hookUser is whose SCM token maintains repo's webhook: the caller's when
// they have one on its SCM, else the repository owner's; nil for neither.
func (s *service) hookUser(r *http.Request, repo *model.Repo) (*model.User, error) {
	has := func(u *model.User) bool { return u != nil && u.SCM == repo.SCM && u.SCMTokenSealed != "" }
	if s.tokens == nil {
		return nil, nil
	}
	if u := auth.UserFrom(r.Context()); has(u) {
		return u, nil
	}
	if repo.ID == 0 {
		return nil, nil
	}
	owner, err := s.db.RepoOwner(r.Context(), repo.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, storeError(err, "owner")
	case has(owner):
		return owner, nil
	}
	return nil, nil
}

// repairRepo is POST …/repair: the webhook is created again on the SCM
// with the caller's token, or the owner's.
func (s *service) repairRepo(w http.ResponseWriter, r *http.Request) {
	repo, _ := s.findRepo(r)
	u, err := s.hookUser(r, repo)
	if err != nil {
		httperr.Write(w, r, err)
		return
	}
	if u == nil {
		httperr.Write(w, r, httperr.New(httperr.Conflict, "repair needs a token on %s, yours or the owner's: sign in through %s, or set the webhook by hand", repo.SCM, repo.SCM))
		return
	}
	if err := s.addHook(r, repo); err != nil {
		httperr.Write(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// chownRepo is POST …/chown: the caller becomes the repository's owner.
func (s *service) chownRepo(w http.ResponseWriter, r *http.Request) {
	repo, _ := s.findRepo(r)
	u := auth.UserFrom(r.Context())
	if err := s.db.SetRepoOwner(r.Context(), repo.ID, u.ID); err != nil {
		httperr.Write(w, r, storeError(err, "owner"))
		return
	}
	wr := toWireRepo(repo)
	wr.UserID = u.ID
	wire.WriteJSON(w, http.StatusOK, wr)
}
