package core

import (
	"net/http"
	"regexp"
	"time"

	"github.com/drone/drone-go/drone"

	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/shared/httperr"
	"github.com/hangar-ci/hangar/shared/wire"
)

// Repository secrets (/api/repos/{owner}/{name}/secrets) and organisation
// secrets (/api/secrets/{namespace}). Values are sealed before they reach
// the store and are never part of an answer, a log line or an error.

// secretIn is what creating or updating a secret accepts (drone-go's
// Secret, with the flags as pointers so an update can clear them).
type secretIn struct {
	Namespace       string `json:"namespace"`
	Name            string `json:"name"`
	Data            string `json:"data"`
	PullRequest     *bool  `json:"pull_request"`
	PullRequestPush *bool  `json:"pull_request_push"`
	Pull            *bool  `json:"pull"` // deprecated in Drone, ignored
	Fork            *bool  `json:"fork"` // deprecated in Drone, ignored
}

var validSecretName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,200}$`)

// toDroneSecret is a secret as the API shows it: never its value.
func toDroneSecret(sec *model.Secret) *drone.Secret {
	return &drone.Secret{Namespace: sec.Namespace, Name: sec.Name, PullRequest: sec.PullRequest, PullRequestPush: sec.PullRequestPush}
}

// secretScope is where a request's secrets live: a repository's, or a
// namespace's (repoID 0).
func (s *service) secretScope(r *http.Request) (repoID int64, namespace string, err error) {
	if ns := r.PathValue("namespace"); ns != "" {
		return 0, ns, nil
	}
	repo, err := s.findRepo(r)
	if err != nil {
		return 0, "", err
	}
	return repo.ID, "", nil
}

func (s *service) listSecrets(w http.ResponseWriter, r *http.Request) {
	repoID, ns, err := s.secretScope(r)
	if err != nil {
		httperr.Write(w, r, err)
		return
	}
	list, err := s.db.ListSecrets(r.Context(), repoID, ns)
	if err != nil {
		httperr.Write(w, r, storeError(err, "secrets"))
		return
	}
	writeSecrets(w, list)
}

func writeSecrets(w http.ResponseWriter, list []*model.Secret) {
	out := make([]*drone.Secret, 0, len(list))
	for _, sec := range list {
		out = append(out, toDroneSecret(sec))
	}
	wire.WriteJSON(w, http.StatusOK, out)
}

// listAllOrgSecrets is GET /api/secrets: every organisation secret.
func (s *service) listAllOrgSecrets(w http.ResponseWriter, r *http.Request) {
	list, err := s.db.ListSecrets(r.Context(), 0, "")
	if err != nil {
		httperr.Write(w, r, storeError(err, "secrets"))
		return
	}
	writeSecrets(w, list)
}

func (s *service) createSecret(w http.ResponseWriter, r *http.Request) {
	repoID, ns, err := s.secretScope(r)
	if err != nil {
		httperr.Write(w, r, err)
		return
	}
	var in secretIn
	if err := decodeAPI(w, r, &in); err != nil {
		httperr.Write(w, r, err)
		return
	}
	if !validSecretName.MatchString(in.Name) || in.Data == "" {
		httperr.Write(w, r, httperr.New(httperr.Invalid, "a secret needs a name (letters, digits, _ . -) and a value"))
		return
	}
	sealed, err := s.seal.Seal(in.Data)
	if err != nil {
		httperr.Write(w, r, httperr.Wrap(httperr.Unavailable, err, "%v", err))
		return
	}
	now := time.Now().Unix()
	sec := &model.Secret{RepoID: repoID, Namespace: ns, Name: in.Name, Data: sealed, Created: now, Updated: now,
		PullRequest: in.PullRequest != nil && *in.PullRequest, PullRequestPush: in.PullRequestPush != nil && *in.PullRequestPush}
	if err := s.db.CreateSecret(r.Context(), sec); err != nil {
		httperr.Write(w, r, storeError(err, "secret "+in.Name))
		return
	}
	wire.WriteJSON(w, http.StatusOK, toDroneSecret(sec))
}

func (s *service) findSecret(w http.ResponseWriter, r *http.Request) (*model.Secret, bool) {
	repoID, ns, err := s.secretScope(r)
	if err != nil {
		httperr.Write(w, r, err)
		return nil, false
	}
	sec, err := s.db.FindSecret(r.Context(), repoID, ns, r.PathValue("secret"))
	if err != nil {
		httperr.Write(w, r, storeError(err, "secret "+r.PathValue("secret")))
		return nil, false
	}
	return sec, true
}

func (s *service) showSecret(w http.ResponseWriter, r *http.Request) {
	if sec, ok := s.findSecret(w, r); ok {
		wire.WriteJSON(w, http.StatusOK, toDroneSecret(sec))
	}
}

// updateSecret changes the value when one is given, and the flags given.
func (s *service) updateSecret(w http.ResponseWriter, r *http.Request) {
	sec, ok := s.findSecret(w, r)
	if !ok {
		return
	}
	var in secretIn
	if err := decodeAPI(w, r, &in); err != nil {
		httperr.Write(w, r, err)
		return
	}
	if in.Data != "" {
		sealed, err := s.seal.Seal(in.Data)
		if err != nil {
			httperr.Write(w, r, httperr.Wrap(httperr.Unavailable, err, "%v", err))
			return
		}
		sec.Data = sealed
	}
	if in.PullRequest != nil {
		sec.PullRequest = *in.PullRequest
	}
	if in.PullRequestPush != nil {
		sec.PullRequestPush = *in.PullRequestPush
	}
	sec.Updated = time.Now().Unix()
	if err := s.db.UpdateSecret(r.Context(), sec); err != nil {
		httperr.Write(w, r, storeError(err, "secret"))
		return
	}
	wire.WriteJSON(w, http.StatusOK, toDroneSecret(sec))
}

func (s *service) deleteSecret(w http.ResponseWriter, r *http.Request) {
	sec, ok := s.findSecret(w, r)
	if !ok {
		return
	}
	if err := s.db.DeleteSecret(r.Context(), sec.ID); err != nil {
		httperr.Write(w, r, storeError(err, "secret"))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
