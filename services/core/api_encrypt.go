package core

import (
	"encoding/base64"
	"net/http"

	"github.com/hangar-ci/hangar/shared/aesgcm"
	"github.com/hangar-ci/hangar/shared/httperr"
	"github.com/hangar-ci/hangar/shared/wire"
)

// encryptSecret is POST …/encrypt and …/encrypt/secret (drone encrypt):
// the value sealed with AES-256-GCM under the repository's secret (its
// first 32 bytes), base64, for a `kind: secret` document's `data` in the
// pipeline file. Only this repository's builds can open it.
func (s *service) encryptSecret(w http.ResponseWriter, r *http.Request) {
	repo, _ := s.findRepo(r)
	var in secretIn
	if err := decodeAPI(w, r, &in); err != nil {
		httperr.Write(w, r, err)
		return
	}
	if in.Data == "" {
		httperr.Write(w, r, httperr.New(httperr.Invalid, "data is required"))
		return
	}
	key, err := aesgcm.KeyFrom(repo.Secret)
	if err != nil {
		httperr.Write(w, r, httperr.New(httperr.Conflict, "the repository's secret is shorter than 32 bytes: set a longer one to encrypt"))
		return
	}
	sealed, err := aesgcm.Encrypt([]byte(in.Data), key)
	if err != nil {
		httperr.Write(w, r, httperr.Wrap(httperr.Internal, err, "encryption failed"))
		return
	}
	wire.WriteJSON(w, http.StatusOK, struct {
		Data string `json:"data"`
	}{base64.StdEncoding.EncodeToString(sealed)})
}
