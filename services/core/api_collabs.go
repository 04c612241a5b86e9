package core

import (
	"net/http"
	"strings"

	"github.com/hangar-ci/hangar/services/core/store"
	"github.com/hangar-ci/hangar/shared/httperr"
	"github.com/hangar-ci/hangar/shared/wire"
)

// collaborator is Drone's core.Collaborator as the API shows it.
type collaborator struct {
	UserID int64  `json:"user_id"`
	RepoID int64  `json:"repo_id"`
	Login  string `json:"login"`
	Avatar string `json:"avatar"`
	Read   bool   `json:"read"`
	Write  bool   `json:"write"`
	Admin  bool   `json:"admin"`
	Synced int64  `json:"synced"`
}

func toCollaborator(c *store.Collaborator) *collaborator {
	return &collaborator{UserID: c.UserID, RepoID: c.RepoID, Login: c.Login, Avatar: c.Avatar, Read: c.Pull, Write: c.Push, Admin: c.Admin, Synced: c.Synced}
}

// collaborators lists the users with a synced permission in the
// repository (GET …/collaborators).
func (s *service) collaborators(r *http.Request) ([]*store.Collaborator, error) {
	repo, _ := s.findRepo(r)
	list, err := s.db.ListCollaborators(r.Context(), repo.ID)
	if err != nil {
		return nil, storeError(err, "collaborators")
	}
	return list, nil
}

func (s *service) listCollaborators(w http.ResponseWriter, r *http.Request) {
	list, err := s.collaborators(r)
	if err != nil {
		httperr.Write(w, r, err)
		return
	}
	out := make([]*collaborator, 0, len(list))
	for _, c := range list {
		out = append(out, toCollaborator(c))
	}
	wire.WriteJSON(w, http.StatusOK, out)
}

// findCollaborator is …/collaborators/{member}.
func (s *service) findCollaborator(w http.ResponseWriter, r *http.Request) (*store.Collaborator, bool) {
	list, err := s.collaborators(r)
	if err != nil {
		httperr.Write(w, r, err)
		return nil, false
	}
	for _, c := range list {
		if strings.EqualFold(c.Login, r.PathValue("member")) {
			return c, true
		}
	}
	httperr.Write(w, r, httperr.New(httperr.NotFound, "%s has no permission synced in this repository", r.PathValue("member")))
	return nil, false
}

func (s *service) showCollaborator(w http.ResponseWriter, r *http.Request) {
	if c, ok := s.findCollaborator(w, r); ok {
		wire.WriteJSON(w, http.StatusOK, toCollaborator(c))
	}
}

func (s *service) deleteCollaborator(w http.ResponseWriter, r *http.Request) {
	c, ok := s.findCollaborator(w, r)
	if !ok {
		return
	}
	if err := s.db.DeletePerm(r.Context(), c.UserID, c.RepoID); err != nil {
		httperr.Write(w, r, storeError(err, "collaborator"))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
