package core

import (
	"net/http"

	"github.com/hangar-ci/hangar/services/core/auth"
	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/shared/wire"
)

// repoWithPerms is Drone's answer to GET /api/repos/{owner}/{name}: the
// repository with the caller's permissions, which the pages read to hide
// what the API would refuse.
type repoWithPerms struct {
	*wire.Repository
	Permissions *repoPerms `json:"permissions,omitempty"`
}

// repoPerms is Drone's core.Perm as serialised.
type repoPerms struct {
	Read  bool `json:"read"`
	Write bool `json:"write"`
	Admin bool `json:"admin"`
}

// callerPerms is what the caller may do in repo, nil when unknown.
func (s *service) callerPerms(r *http.Request, repo *model.Repo) *repoPerms {
	u := auth.UserFrom(r.Context())
	perm, err := s.perms.Find(r.Context(), u, repo)
	if err != nil {
		return nil
	}
	l := auth.Level(u, repo, perm)
	return &repoPerms{Read: l >= Read, Write: l >= Write, Admin: l >= AdminAccess}
}
