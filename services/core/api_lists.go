package core

import (
	"net/http"

	"github.com/hangar-ci/hangar/services/core/auth"
	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/shared/httperr"
	"github.com/hangar-ci/hangar/shared/wire"
)

// latestPer answers Drone's …/builds/branches, …/pulls and …/deployments:
// the newest build of each branch, pull request or environment.
func (s *service) latestPer(event string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		repo, _ := s.findRepo(r)
		builds, err := s.db.LatestPer(r.Context(), repo.ID, event)
		if err != nil {
			httperr.Write(w, r, storeError(err, "builds"))
			return
		}
		writeBuilds(w, builds)
	}
}

func writeBuilds(w http.ResponseWriter, builds []*model.Build) {
	out := make([]*wire.Build, 0, len(builds))
	for _, b := range builds {
		out = append(out, toWireBuild(b, nil))
	}
	wire.WriteJSON(w, http.StatusOK, out)
}

// updateSelf is PATCH /api/user: the caller's e-mail address.
func (s *service) updateSelf(w http.ResponseWriter, r *http.Request) {
	u := auth.UserFrom(r.Context())
	var in struct {
		Email *string `json:"email"`
	}
	if err := decodeAPI(w, r, &in); err != nil {
		httperr.Write(w, r, err)
		return
	}
	if in.Email != nil {
		u.Email = *in.Email
	}
	if err := s.db.UpdateUser(r.Context(), u); err != nil {
		httperr.Write(w, r, storeError(err, "user"))
		return
	}
	wire.WriteJSON(w, http.StatusOK, toDroneUser(u, ""))
}

// userRepos is GET /api/users/{user}/repos: the repositories a user may
// pull.
func (s *service) userRepos(w http.ResponseWriter, r *http.Request) {
	u, ok := s.findUser(w, r)
	if !ok {
		return
	}
	repos, err := s.db.ListUserRepos(r.Context(), u.ID)
	writeRepos(w, r, repos, err)
}

// writeRepos answers a list of repositories, or the store's error.
func writeRepos(w http.ResponseWriter, r *http.Request, repos []*model.Repo, err error) {
	if err != nil {
		httperr.Write(w, r, storeError(err, "repositories"))
		return
	}
	out := make([]*wire.Repository, 0, len(repos))
	for _, repo := range repos {
		out = append(out, toWireRepo(repo))
	}
	wire.WriteJSON(w, http.StatusOK, out)
}
