package woodpecker

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/hangar-ci/hangar/shared/httperr"
	"github.com/hangar-ci/hangar/shared/httpsig"
	"github.com/hangar-ci/hangar/shared/server"
	"github.com/hangar-ci/hangar/shared/wire"
)

// hangarClient calls Hangar's own Drone endpoints, signed as the Drone
// server signs, so a Woodpecker request gets exactly the lookup, rendering
// and scoping a Drone request gets: the logic lives in those services
// alone.
type hangarClient struct {
	base    string
	secrets map[string]string
	http    *http.Client
}

var mediaTypes = map[string]string{
	kindConfig: wire.ConfigV1, kindConvert: wire.ConvertV1, kindSecret: wire.SecretV1, kindRegistry: wire.RegistryV1,
}

// requestIDKey carries the Woodpecker request's id to the calls it makes.
type requestIDKey struct{}

// maxAnswer bounds what is read back from Hangar's own services; a
// conversion's output is limited to 64 MiB there.
const maxAnswer = 65 << 20

// call posts in to the kind endpoint and returns the status and body.
func (c *hangarClient) call(ctx context.Context, kind string, in any) (int, []byte, error) {
	secret := c.secrets[kind]
	if secret == "" {
		return 0, nil, httperr.New(httperr.Unavailable, "Hangar's %s service cannot be called: no secret for it (DRONE_SECRET)", kind)
	}
	body, err := json.Marshal(in)
	if err != nil {
		return 0, nil, httperr.Wrap(httperr.Internal, err, "cannot encode the %s request", kind)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/"+kind, bytes.NewReader(body))
	if err != nil {
		return 0, nil, httperr.Wrap(httperr.Internal, err, "bad Hangar URL")
	}
	req.Header.Set("Accept", mediaTypes[kind])
	req.Header.Set("Accept-Encoding", "identity")
	req.Header.Set("Content-Type", "application/json")
	if id, _ := ctx.Value(requestIDKey{}).(string); id != "" {
		req.Header.Set(server.RequestIDHeader, id)
	}
	if err := httpsig.Sign(req, body, secret, httpsig.ExtensionHeaders, time.Now()); err != nil {
		return 0, nil, httperr.Wrap(httperr.Internal, err, "cannot sign the %s request", kind)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return 0, nil, httperr.Wrap(httperr.Unavailable, err, "Hangar's %s service unreachable: %v", kind, err)
	}
	defer res.Body.Close()
	out, err := io.ReadAll(io.LimitReader(res.Body, maxAnswer))
	if err != nil {
		return 0, nil, httperr.Wrap(httperr.Unavailable, err, "reading the answer of Hangar's %s service: %v", kind, err)
	}
	return res.StatusCode, out, nil
}

// refused turns an answer of Hangar's kind service other than 200 and 204
// into the error Woodpecker gets: the service's own message, under its
// status for bad input, a missing pipeline or a script error; a 502-class
// error for everything that is Hangar's fault, so Woodpecker retries.
func refused(kind string, status int, body []byte) error {
	msg := strings.TrimSpace(string(body))
	if len(msg) > 400 {
		msg = msg[:400] + "…"
	}
	switch {
	case status == http.StatusBadRequest:
		return httperr.New(httperr.Invalid, "%s", msg)
	case status == http.StatusNotFound:
		return httperr.New(httperr.NotFound, "%s", msg)
	case status == http.StatusUnprocessableEntity:
		return httperr.New(httperr.Unprocessable, "%s", msg)
	case status >= 500:
		return httperr.New(httperr.Unavailable, "Hangar's %s service failed (%d): %s", kind, status, msg)
	}
	return httperr.New(httperr.Internal, "Hangar's %s service refused the Woodpecker endpoint's call (%d: %s): do both read the same secret?", kind, status, msg)
}

// decodeAnswer reads a 200 answer of Hangar's kind service into out.
func decodeAnswer(kind string, body []byte, out any) error {
	if err := json.Unmarshal(body, out); err != nil {
		return httperr.Wrap(httperr.Internal, err, "Hangar's %s service answered JSON that does not decode: %v", kind, err)
	}
	return nil
}
