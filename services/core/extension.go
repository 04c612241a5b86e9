package core

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/drone/drone-go/drone"

	"github.com/hangar-ci/hangar/shared/httpsig"
)

// extClient calls one Drone extension exactly as drone-go v1.7.1's plugin
// client does (§1.1): compact JSON body, Accept / Accept-Encoding: identity /
// Content-Type, Digest and Date, a Signature over those five headers, no
// redirects; a status over 299 is a *drone.Error carrying the body, 204 is
// "no answer", an empty 200 is an error. Unlike drone-go it owns its
// transport (so a busy server reuses connections) and bounds the response.
type extClient struct {
	endpoint string
	secret   string
	accept   string
	hc       *http.Client
}

// maxAnswer bounds an extension's answer: a pipeline is far smaller.
const maxAnswer = 16 << 20

func newExtClient(endpoint, secret, accept string, hc *http.Client) *extClient {
	return &extClient{endpoint: endpoint, secret: secret, accept: accept, hc: hc}
}

// newHTTPClient returns the client every extension and webhook call uses:
// no redirects (drone-go's rule), and enough idle connections per host for
// concurrent hooks.
func newHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	return &http.Client{
		Transport:     t,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// do posts in and decodes the answer into out (nil: answer ignored). It
// reports whether the answer was a 204.
func (c *extClient) do(ctx context.Context, in, out any) (noContent bool, err error) {
	body, err := json.Marshal(in)
	if err != nil {
		return false, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	req.Header.Set("Accept", c.accept)
	req.Header.Set("Accept-Encoding", "identity")
	req.Header.Set("Content-Type", "application/json")
	if err := httpsig.Sign(req, body, c.secret, httpsig.ExtensionHeaders, time.Now()); err != nil {
		return false, err
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return false, err
	}
	defer res.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(res.Body, maxAnswer+1))
	if err != nil {
		return false, err
	}
	if len(answer) > maxAnswer {
		return false, &drone.Error{Code: http.StatusBadGateway, Message: "extension answer over 16 MiB"}
	}
	if res.StatusCode > 299 {
		msg := string(answer)
		// drone-go's handlers answer {"code":…,"message":…}: the build's
		// error is the message, not the JSON around it.
		var de drone.Error
		if json.Unmarshal(answer, &de) == nil && de.Message != "" {
			msg = de.Message
		}
		if len(answer) == 0 {
			msg = http.StatusText(res.StatusCode)
		}
		return false, &drone.Error{Code: res.StatusCode, Message: msg}
	}
	if res.StatusCode == http.StatusNoContent {
		return true, nil
	}
	if out == nil {
		return false, nil
	}
	return false, json.Unmarshal(answer, out)
}

// retryable reports whether a failed call may be repeated: a network
// error or a 5xx answer, never a 4xx or a decision (498/499).
func retryable(err error) bool {
	var de *drone.Error
	if errors.As(err, &de) {
		return de.Code >= 500 && de.Code <= 599
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var oe *net.OpError
	return errors.As(err, &oe) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

// callPolicy bounds each attempt by timeout and repeats retryable
// failures up to retries more times, with a short growing pause.
type callPolicy struct {
	timeout time.Duration
	retries int
	backoff time.Duration
}

func (p callPolicy) run(ctx context.Context, call func(context.Context) error) error {
	var err error
	for attempt := 0; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, p.timeout)
		err = call(actx)
		cancel()
		if err == nil || attempt >= p.retries || !retryable(err) || ctx.Err() != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(p.backoff * time.Duration(attempt+1)):
		}
	}
}
