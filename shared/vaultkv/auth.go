package vaultkv

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/hashicorp/vault/api"
)

// authMethod obtains a token.
type authMethod interface {
	// name is the method, for logs.
	name() string
	// canLogin reports whether login can obtain a new token (a fixed
	// token cannot be replaced).
	canLogin() bool
	// login asks Vault for a token through a client that carries none.
	login(ctx context.Context, c *api.Client) (*api.Secret, error)
}

func newAuth(o Options) (authMethod, error) {
	mount := func(def string) string {
		if o.AuthMount != "" {
			return strings.Trim(o.AuthMount, "/")
		}
		return def
	}
	switch o.AuthType {
	case AuthToken, "":
		return tokenAuth{token: o.Token}, nil
	case AuthAppRole:
		return appRoleAuth{mount: mount("approle"), roleID: o.RoleID, secretID: o.SecretID}, nil
	case AuthKubernetes:
		return kubeAuth{mount: mount("kubernetes"), role: o.KubeRole, tokenPath: o.KubeTokenPath}, nil
	}
	return nil, fmt.Errorf("vault: unknown auth type %q", o.AuthType)
}

type tokenAuth struct{ token string }

func (tokenAuth) name() string   { return AuthToken }
func (tokenAuth) canLogin() bool { return false }
func (tokenAuth) login(context.Context, *api.Client) (*api.Secret, error) {
	return nil, errors.New("a fixed VAULT_TOKEN cannot log in again")
}

type appRoleAuth struct{ mount, roleID, secretID string }

func (appRoleAuth) name() string   { return AuthAppRole }
func (appRoleAuth) canLogin() bool { return true }
func (a appRoleAuth) login(ctx context.Context, c *api.Client) (*api.Secret, error) {
	return c.Logical().WriteWithContext(ctx, "auth/"+a.mount+"/login", map[string]any{
		"role_id": a.roleID, "secret_id": a.secretID,
	})
}

type kubeAuth struct{ mount, role, tokenPath string }

func (kubeAuth) name() string   { return AuthKubernetes }
func (kubeAuth) canLogin() bool { return true }
func (a kubeAuth) login(ctx context.Context, c *api.Client) (*api.Secret, error) {
	jwt, err := os.ReadFile(a.tokenPath)
	if err != nil {
		return nil, fmt.Errorf("service-account token: %w", err)
	}
	return c.Logical().WriteWithContext(ctx, "auth/"+a.mount+"/login", map[string]any{
		"jwt": strings.TrimSpace(string(jwt)), "role": a.role,
	})
}

// ensureLogin logs in when the client holds no token yet, so the first
// request after start-up does not wait for Run.
func (c *Client) ensureLogin(ctx context.Context) error {
	gen := c.generation()
	if gen > 0 {
		return nil
	}
	return c.relogin(ctx, gen)
}

// relogin logs in unless another caller already did since generation
// seen, so a burst of denied requests costs one login.
func (c *Client) relogin(ctx context.Context, seen uint64) error {
	c.loginMu.Lock()
	defer c.loginMu.Unlock()
	if c.generation() != seen {
		return nil
	}
	if !c.auth.canLogin() {
		return fmt.Errorf("%w: the Vault token was refused", ErrUnavailable)
	}
	lc, err := c.api.Clone() // Clone leaves the token behind
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	sec, err := c.auth.login(ctx, lc)
	if err == nil && (sec == nil || sec.Auth == nil || sec.Auth.ClientToken == "") {
		err = errors.New("vault answered without a token")
	}
	if err != nil {
		err = fmt.Errorf("%w: %s login at %s failed: %v", ErrUnavailable, c.auth.name(), c.opts.Addr, err)
		c.setErr(err)
		return err
	}
	old := c.api.Token()
	c.api.SetToken(sec.Auth.ClientToken)
	if old != "" && old != sec.Auth.ClientToken {
		go c.revoke(old)
	}
	ttl := time.Duration(sec.Auth.LeaseDuration) * time.Second
	desired := c.opts.TokenTTL
	if desired == 0 || desired > ttl {
		desired = ttl
	}
	c.mu.Lock()
	c.gen++
	c.lease = lease{ttl: ttl, renewable: sec.Auth.Renewable, obtained: time.Now(), desired: desired}
	c.lastErr = nil
	c.mu.Unlock()
	c.logger.Info("vault: logged in", slog.String("method", c.auth.name()),
		slog.String("ttl", ttl.String()), slog.Bool("renewable", sec.Auth.Renewable))
	// Wake Run so it schedules renewal for the new lease.
	select {
	case c.kick <- struct{}{}:
	default:
	}
	return nil
}

// revoke ends a token a new login replaced, so a copy of it (a heap dump,
// a proxy's log) is worthless from now on rather than until its max TTL.
// A request still holding it is denied, sees the login generation moved
// and retries with the new token. Failure only logs: the token expires
// anyway.
func (c *Client) revoke(token string) {
	rc, err := c.api.Clone()
	if err != nil {
		return
	}
	rc.SetToken(token)
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.Timeout)
	defer cancel()
	if err := rc.Auth().Token().RevokeSelfWithContext(ctx, ""); err != nil {
		c.logger.Debug("vault: revoking the replaced token failed; it expires at its max TTL", slog.String("error", err.Error()))
		return
	}
	c.logger.Debug("vault: replaced token revoked")
}

func (c *Client) setErr(err error) {
	c.mu.Lock()
	c.lastErr = err
	c.mu.Unlock()
}
