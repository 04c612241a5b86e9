package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/hangar-ci/hangar/shared/httpsig"
)

// Headers Hangar adds to an HTTP sink's delivery, beside Drone's own.
const (
	// HeaderEventKey is the idempotency key: the same event delivered
	// again (a retry after a lost answer, a redelivery) carries the same
	// key, so a receiver can drop repeats.
	HeaderEventKey = "X-Hangar-Event-Key"
	HeaderDelivery = "X-Hangar-Delivery"
	HeaderAttempt  = "X-Hangar-Attempt"
)

// attemptError is a failed attempt: the status (0 without an answer) and
// a Retry-After the sink asked for.
type attemptError struct {
	status     int
	retryAfter time.Duration
	msg        string
}

func (e *attemptError) Error() string { return e.msg }

// send makes one delivery attempt of d to sink and returns the status the
// sink answered.
func send(ctx context.Context, client *http.Client, sink Sink, d Delivery, now time.Time) (int, error) {
	body := d.Event.Body
	if sink.Kind == KindSlack {
		var err error
		if body, err = slackBody(body); err != nil {
			return 0, &attemptError{msg: err.Error()}
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sink.URL, bytes.NewReader(body))
	if err != nil {
		return 0, &attemptError{msg: "the sink URL cannot be used"}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "hangar-webhook")
	if sink.Kind == KindHTTP {
		req.Header.Set("X-Drone-Event", d.Event.Event)
		req.Header.Set(HeaderEventKey, d.Event.Key)
		req.Header.Set(HeaderDelivery, strconv.FormatInt(d.ID, 10))
		req.Header.Set(HeaderAttempt, strconv.Itoa(d.Attempts+1))
		if err := httpsig.Sign(req, body, sink.Secret, httpsig.WebhookHeaders, now); err != nil {
			return 0, &attemptError{msg: err.Error()}
		}
	}
	res, err := client.Do(req)
	if err != nil {
		// The URL is left out: a Slack-style URL is itself a credential,
		// and this text is logged and shown by the API.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, &attemptError{msg: "POST to the sink failed: " + err.Error()}
	}
	defer res.Body.Close()
	// Read a little of the answer for the error text; drain the rest so
	// the connection is reused.
	snippet, _ := io.ReadAll(io.LimitReader(res.Body, 256))
	io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if res.StatusCode >= 200 && res.StatusCode < 300 {
		return res.StatusCode, nil
	}
	e := &attemptError{status: res.StatusCode, msg: fmt.Sprintf("sink answered %s: %s", res.Status, bytes.TrimSpace(snippet))}
	if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err == nil && s > 0 {
		e.retryAfter = time.Duration(s) * time.Second
	}
	return res.StatusCode, e
}

// newClient returns the client deliveries go through: redirects are not
// followed (a moved sink is a configuration error to see, not to chase),
// and each attempt's context carries the sink's timeout.
func newClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 16
	return &http.Client{
		Transport: t,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
