// Package scmhook authenticates webhooks from GitHub and GitLab: GitHub's
// X-Hub-Signature-256 HMAC over the body and GitLab's X-Gitlab-Token shared
// token, both compared in constant time.
package scmhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
)

// Provider names the sender of a webhook.
type Provider string

// The providers Hangar accepts hooks from.
const (
	GitHub Provider = "github"
	GitLab Provider = "gitlab"
)

// Errors from Verify.
var (
	ErrUnknownProvider = errors.New("neither a GitHub nor a GitLab webhook (no X-GitHub-Event or X-Gitlab-Event header)")
	ErrUnsigned        = errors.New("webhook carries no X-Hub-Signature-256 or X-Gitlab-Token")
	ErrBadSignature    = errors.New("webhook signature does not match")
)

// Detect tells the provider from the event header.
func Detect(h http.Header) (Provider, error) {
	switch {
	case h.Get("X-GitHub-Event") != "":
		return GitHub, nil
	case h.Get("X-Gitlab-Event") != "":
		return GitLab, nil
	}
	return "", ErrUnknownProvider
}

// Event returns the provider's event name (GitHub "push", GitLab "Push Hook").
func Event(p Provider, h http.Header) string {
	if p == GitHub {
		return h.Get("X-GitHub-Event")
	}
	return h.Get("X-Gitlab-Event")
}

// Verify checks the hook's signature with secret. An empty secret is a
// programming error and always fails.
func Verify(p Provider, h http.Header, body []byte, secret string) error {
	if secret == "" {
		return ErrBadSignature
	}
	switch p {
	case GitHub:
		sig, ok := strings.CutPrefix(h.Get("X-Hub-Signature-256"), "sha256=")
		if !ok {
			return ErrUnsigned
		}
		got, err := hex.DecodeString(sig)
		if err != nil {
			return ErrBadSignature
		}
		m := hmac.New(sha256.New, []byte(secret))
		m.Write(body)
		if !hmac.Equal(got, m.Sum(nil)) {
			return ErrBadSignature
		}
		return nil
	case GitLab:
		tok := h.Get("X-Gitlab-Token")
		if tok == "" {
			return ErrUnsigned
		}
		if subtle.ConstantTimeCompare([]byte(tok), []byte(secret)) != 1 {
			return ErrBadSignature
		}
		return nil
	}
	return ErrUnknownProvider
}

// SignGitHub returns the X-Hub-Signature-256 value for body, as GitHub
// computes it; tests and replay tools use it.
func SignGitHub(body []byte, secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}
