// Package wire holds what Hangar reads and writes on Drone's extension
// protocol: the media types, and strict decoding of request bodies into
// drone-go v1.7.1's own request types (github.com/drone/drone-go/plugin/...),
// which are the wire contract.
package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/hangar-ci/hangar/shared/httperr"
	"github.com/hangar-ci/hangar/shared/httpsig"
)

// Media types Drone sends in Accept, one per extension kind.
const (
	ConfigV1   = "application/vnd.drone.config.v1+json"
	ConvertV1  = "application/vnd.drone.convert.v1+json"
	ValidateV1 = "application/vnd.drone.validate.v1+json"
	SecretV1   = "application/vnd.drone.secret.v1+json"
	RegistryV1 = "application/vnd.drone.registry.v1+json"
	WebhookV1  = "application/vnd.drone.webhook.v1+json"
)

// Decode reads the verified body of r (see httpsig.Middleware) into v.
//
// It is strict about everything that signals a broken sender — content
// type, empty body, malformed JSON, a value of the wrong type, trailing
// data — and answers each with a precise httperr.Invalid. Unknown fields
// are accepted on purpose: drone-go versions and Woodpecker add fields to
// these objects, and refusing them would break a working server on upgrade.
func Decode(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return httperr.New(httperr.Invalid, "Content-Type %q not supported: send application/json", ct)
		}
	}
	body, ok := httpsig.Body(r)
	if !ok {
		var err error
		if body, err = io.ReadAll(r.Body); err != nil {
			return httperr.Wrap(httperr.Invalid, err, "cannot read body")
		}
	}
	return DecodeBytes(body, v, false)
}

// DecodeBytes decodes body into v. With strict, unknown fields are refused
// too (Hangar's own API objects).
func DecodeBytes(body []byte, v any, strict bool) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return httperr.New(httperr.Invalid, "empty body: a JSON object is required")
	}
	if !strict {
		// One pass over the bytes; Unmarshal refuses trailing data itself.
		if err := json.Unmarshal(body, v); err != nil {
			return httperr.Wrap(httperr.Invalid, err, "invalid JSON body: %s", describe(err))
		}
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return httperr.Wrap(httperr.Invalid, err, "invalid JSON body: %s", describe(err))
	}
	if dec.More() {
		return httperr.New(httperr.Invalid, "invalid JSON body: data after the JSON value")
	}
	return nil
}

func describe(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		if strings.Contains(syn.Error(), "after top-level value") {
			return fmt.Sprintf("data after the JSON value (at byte %d)", syn.Offset)
		}
		return fmt.Sprintf("%v (at byte %d)", syn, syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %q must be %s, not %s", typ.Field, typ.Type, typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "truncated JSON"
	}
	return err.Error()
}

// WriteJSON encodes v into a buffer first, so an encoding failure can still
// become a clean 500, then writes status and body.
func WriteJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, err = w.Write(append(b, '\n'))
	return err
}
