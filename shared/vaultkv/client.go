// Package vaultkv reads Vault KV secrets for Hangar's secret and registry
// services: KV v1 and v2 told apart through Vault's mounts API, token,
// AppRole and Kubernetes auth, renewal and re-login in the background, and
// errors that say whether a secret is missing or Vault is failing. A Vault
// error never ends the process.
package vaultkv

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-cleanhttp"
	"github.com/hashicorp/vault/api"
)

// Errors a Read returns, to be told apart with errors.Is.
var (
	// ErrNotFound: no secret at the path, or the path is not in a KV mount.
	ErrNotFound = errors.New("vault: secret not found")
	// ErrInvalidPath: the path cannot name a secret.
	ErrInvalidPath = errors.New("vault: invalid secret path")
	// ErrUnavailable: Vault cannot answer (unreachable, sealed, login
	// failing, access denied to Hangar's own token).
	ErrUnavailable = errors.New("vault unavailable")
)

// Secret is one KV secret.
type Secret struct {
	// Path is the canonical path, the API form for KV v2
	// (secret/data/docker whichever form was asked for).
	Path    string
	Version int // KV version of the mount: 1 or 2
	Data    map[string]any
}

// Client reads KV secrets with a token it keeps valid.
type Client struct {
	api    *api.Client
	auth   authMethod
	opts   Options
	logger *slog.Logger
	mounts *mountCache

	mu      sync.Mutex // guards the fields below
	loginMu sync.Mutex // serialises logins
	gen     uint64     // increases at every successful login
	lease   lease
	lastErr error
	kick    chan struct{}
}

// lease is what Vault told about the current token.
type lease struct {
	ttl       time.Duration // 0: never expires (root tokens)
	renewable bool
	obtained  time.Time
	desired   time.Duration // the TTL a renewal should return; less means max TTL reached
}

// New returns a client for opts; it does not contact Vault (Run and the
// first Read do), so a Vault outage at start-up does not stop Hangar.
func New(opts Options, logger *slog.Logger) (*Client, error) {
	if opts.Addr == "" {
		return nil, errors.New("vault: no address")
	}
	if ps := opts.problems(); len(ps) > 0 {
		return nil, fmt.Errorf("vault: %s: %s", ps[0].name, ps[0].msg)
	}
	hc := cleanhttp.DefaultPooledClient()
	// ConfigureTLS fills in this config; Vault's own default is TLS 1.2+.
	hc.Transport.(*http.Transport).TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	cfg := &api.Config{
		Address:      opts.Addr,
		HttpClient:   hc,
		MaxRetries:   opts.MaxRetries,
		Timeout:      opts.Timeout,
		MinRetryWait: 200 * time.Millisecond,
		MaxRetryWait: 2 * time.Second,
	}
	if err := cfg.ConfigureTLS(&api.TLSConfig{
		CACert: opts.CACert, CAPath: opts.CAPath, ClientCert: opts.ClientCert, ClientKey: opts.ClientKey,
		TLSServerName: opts.TLSServerName, Insecure: opts.SkipVerify,
	}); err != nil {
		return nil, fmt.Errorf("vault TLS: %w", err)
	}
	c, err := api.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("vault client: %w", err)
	}
	// NewClient picks VAULT_TOKEN from the process environment; only the
	// options decide.
	c.ClearToken()
	auth, err := newAuth(opts)
	if err != nil {
		return nil, err
	}
	if opts.MountCacheTTL <= 0 {
		opts.MountCacheTTL = time.Minute
	}
	cl := &Client{
		api: c, auth: auth, opts: opts, logger: logger,
		mounts: newMountCache(opts.MountCacheTTL),
		kick:   make(chan struct{}, 1),
	}
	if t, ok := auth.(tokenAuth); ok {
		c.SetToken(t.token)
		cl.gen = 1
	}
	return cl, nil
}

// Read returns the secret at p (a KV v1 path, or a KV v2 path in either
// form: secret/docker or secret/data/docker).
func (c *Client) Read(ctx context.Context, p string) (*Secret, error) {
	p, err := cleanPath(p)
	if err != nil {
		return nil, err
	}
	gen := c.generation()
	s, err := c.read(ctx, p)
	if errors.Is(err, errDenied) && c.auth.canLogin() {
		// The token may have been revoked or lost (a Vault restart, a max
		// TTL passed while Vault was down): log in again once and retry.
		// With the generation seen before the read, a login that another
		// request made meanwhile counts and is not repeated.
		if lerr := c.relogin(ctx, gen); lerr != nil {
			return nil, lerr
		}
		s, err = c.read(ctx, p)
	}
	if errors.Is(err, errDenied) {
		return nil, fmt.Errorf("%w: Vault denied Hangar's token access to %s (check its policy): %v", ErrUnavailable, p, err)
	}
	return s, err
}

func (c *Client) read(ctx context.Context, p string) (*Secret, error) {
	if err := c.ensureLogin(ctx); err != nil {
		return nil, err
	}
	m, err := c.mount(ctx, p)
	if err != nil {
		return nil, err
	}
	apiPath := p
	if m.version == 2 {
		rel := strings.TrimSuffix(strings.TrimPrefix(p+"/", m.path), "/")
		rel = strings.TrimPrefix(rel, "data/")
		if rel == "" {
			return nil, fmt.Errorf("%w: %s names a mount, not a secret", ErrInvalidPath, p)
		}
		apiPath = m.path + "data/" + rel
	}
	sec, err := c.api.Logical().ReadWithContext(ctx, apiPath)
	if err != nil {
		return nil, classify(err, "read "+apiPath)
	}
	if sec == nil || sec.Data == nil {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, apiPath)
	}
	data := sec.Data
	if m.version == 2 {
		// A deleted or destroyed latest version reads as data: null.
		inner, ok := sec.Data["data"].(map[string]any)
		if !ok || inner == nil {
			return nil, fmt.Errorf("%w: %s (deleted)", ErrNotFound, apiPath)
		}
		data = inner
	}
	c.setErr(nil) // a read that works proves the token does
	return &Secret{Path: apiPath, Version: m.version, Data: data}, nil
}

// errDenied marks a 403 from Vault: Hangar's own token is not allowed.
var errDenied = errors.New("permission denied")

// classify turns a Vault client error into ErrNotFound, errDenied or
// ErrUnavailable, keeping Vault's message (which never holds a value).
func classify(err error, what string) error {
	var re *api.ResponseError
	if errors.As(err, &re) {
		switch {
		case re.StatusCode == http.StatusNotFound:
			return fmt.Errorf("%w: %s", ErrNotFound, what)
		case re.StatusCode == http.StatusForbidden:
			return fmt.Errorf("%w: %s: %s", errDenied, what, strings.Join(re.Errors, "; "))
		}
		return fmt.Errorf("%w: %s: Vault answered %d: %s", ErrUnavailable, what, re.StatusCode, strings.Join(re.Errors, "; "))
	}
	return fmt.Errorf("%w: %s: %v", ErrUnavailable, what, err)
}

// cleanPath refuses anything that is not a plain relative Vault path.
func cleanPath(p string) (string, error) {
	p = strings.Trim(p, "/")
	if p == "" {
		return "", fmt.Errorf("%w: empty", ErrInvalidPath)
	}
	if len(p) > 1024 {
		return "", fmt.Errorf("%w: longer than 1024 bytes", ErrInvalidPath)
	}
	for seg := range strings.SplitSeq(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "", fmt.Errorf("%w: %q has an empty, . or .. segment", ErrInvalidPath, p)
		}
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f || strings.ContainsRune("?#%\\", r) {
			return "", fmt.Errorf("%w: %q has a character %q", ErrInvalidPath, p, r)
		}
	}
	return p, nil
}

// Ready reports whether Vault answers, is unsealed, and Hangar holds a
// token.
func (c *Client) Ready(ctx context.Context) error {
	h, err := c.api.Sys().HealthWithContext(ctx)
	if err != nil {
		return fmt.Errorf("vault unreachable at %s: %v", c.opts.Addr, err)
	}
	switch {
	case !h.Initialized:
		return fmt.Errorf("vault at %s is not initialized", c.opts.Addr)
	case h.Sealed:
		return fmt.Errorf("vault at %s is sealed", c.opts.Addr)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lastErr != nil {
		return c.lastErr
	}
	if c.gen == 0 {
		return errors.New("vault: not logged in yet")
	}
	return nil
}

func (c *Client) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}
