package core

import (
	"errors"
	"net/http"

	"github.com/hangar-ci/hangar/shared/httperr"
	"github.com/hangar-ci/hangar/shared/pipeline"
	"github.com/hangar-ci/hangar/shared/wire"
)

// signRepo is POST …/sign (drone sign): the HMAC a kind: signature
// document must carry for the pipeline {"data": yaml} to run on this
// protected repository, keyed by the repository's secret.
func (s *service) signRepo(w http.ResponseWriter, r *http.Request) {
	repo, _ := s.findRepo(r)
	var in struct {
		Data string `json:"data"`
	}
	if err := decodeAPI(w, r, &in); err != nil {
		httperr.Write(w, r, err)
		return
	}
	m, err := pipeline.Parse([]byte(in.Data))
	if err != nil {
		httperr.Write(w, r, httperr.New(httperr.Invalid, "the pipeline does not parse: %v", err))
		return
	}
	sig, err := m.Sign([]byte(repo.Secret))
	if errors.Is(err, pipeline.ErrKeyTooShort) {
		httperr.Write(w, r, httperr.New(httperr.Conflict, "the repository's secret is shorter than 32 bytes: set a longer one to sign"))
		return
	}
	if err != nil {
		httperr.Write(w, r, httperr.Wrap(httperr.Internal, err, "signing failed"))
		return
	}
	wire.WriteJSON(w, http.StatusOK, struct {
		Data string `json:"data"`
	}{sig})
}
