package core

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"time"

	"github.com/hangar-ci/hangar/shared/httpsig"
	"github.com/hangar-ci/hangar/shared/wire"
)

// WebhookSender delivers one outbound event.
type WebhookSender interface {
	Send(ctx context.Context, p *wire.WebhookPayload) error
}

// webhookSender posts events to every endpoint as the Drone server does
// (§1.2): X-Drone-Event, Content-Type, Digest, Date and a Signature over
// "date digest"; the answer is ignored, a transport error stops delivery
// to the remaining endpoints and is returned for the caller to log.
type webhookSender struct {
	endpoints []string
	secret    string
	events    []string // filepath.Match patterns over "event:action"; empty = all
	system    *wire.System
	hc        *http.Client
	timeout   time.Duration
}

func (s *webhookSender) match(p *wire.WebhookPayload) bool {
	if len(s.events) == 0 {
		return true
	}
	name := p.Event
	if p.Action != "" {
		name += ":" + p.Action
	}
	for _, pat := range s.events {
		if ok, _ := filepath.Match(pat, name); ok {
			return true
		}
	}
	return false
}

func (s *webhookSender) Send(ctx context.Context, p *wire.WebhookPayload) error {
	if !s.match(p) {
		return nil
	}
	p.System = s.system
	body, err := json.Marshal(p)
	if err != nil {
		return err
	}
	for _, ep := range s.endpoints {
		if err := s.post(ctx, ep, p.Event, body); err != nil {
			return err
		}
	}
	return nil
}

func (s *webhookSender) post(ctx context.Context, endpoint, event string, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("X-Drone-Event", event)
	req.Header.Set("Content-Type", "application/json")
	if err := httpsig.Sign(req, body, s.secret, httpsig.WebhookHeaders, time.Now()); err != nil {
		return err
	}
	res, err := s.hc.Do(req)
	if err != nil {
		return fmt.Errorf("webhook %s: %w", endpoint, err)
	}
	// Drained so the connection is reused; the answer means nothing.
	io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	res.Body.Close()
	return nil
}

// noWebhook stands in when no endpoint is configured.
type noWebhook struct{}

func (noWebhook) Send(context.Context, *wire.WebhookPayload) error { return nil }
