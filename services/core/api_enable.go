package core

import (
	"net/http"
	"strings"

	"github.com/hangar-ci/hangar/services/core/model"
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
		repo.Active, repo.Updated = true, s.trigger.now().Unix()
		if err := s.store.UpdateRepo(r.Context(), repo); err != nil {
			httperr.Write(w, r, storeError(err, "repository "+repo.Slug))
			return
		}
		s.repoEvent(r, repo, wire.ActionEnabled)
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
	if err := s.store.CreateRepo(r.Context(), repo); err != nil {
		httperr.Write(w, r, storeError(err, "repository "+repo.Slug))
		return
	}
	s.repoEvent(r, repo, wire.ActionEnabled)
	wire.WriteJSON(w, http.StatusOK, toWireRepo(repo))
}
