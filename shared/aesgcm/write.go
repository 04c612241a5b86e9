package aesgcm

import (
	"encoding/json"
	"net/http"
)

// WriteJSON answers 200 with v as JSON, encrypted under key when r asks for
// it. v is encoded before anything is written, so a failure can still
// become a clean error answer; the returned error is then for the caller
// to report (nothing has been written). A nil key (short secret) with an
// encrypted request is ErrShortSecret.
func WriteJSON(w http.ResponseWriter, r *http.Request, key *Key, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if !Requested(r) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.Write(append(body, '\n'))
		return nil
	}
	out, err := Encrypt(body, key)
	clear(body) // the plaintext holds secret values; keep it short-lived
	if err != nil {
		return err
	}
	w.Header().Set("Content-Encoding", Encoding)
	w.Header().Set("Content-Type", "application/octet-stream")
	w.WriteHeader(http.StatusOK)
	w.Write(out)
	return nil
}
