package vaultkv

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Bounds of the wait between attempts after a failure, and of the wait
// when nothing needs renewing (a token that never expires is still looked
// up, so /readyz notices when it is revoked).
const (
	minBackoff = 500 * time.Millisecond
	maxBackoff = 30 * time.Second
	idleCheck  = time.Minute
)

// Run keeps the token valid until ctx ends: it logs in, renews before two
// thirds of the TTL have passed (or every Renewal, if sooner), and logs in
// again when a renewal fails or returns less than asked for (the token's
// max TTL is near). Failures are logged and retried with backoff; Run never
// returns an error, because a Vault problem must not end the process.
func (c *Client) Run(ctx context.Context) error {
	backoff := minBackoff
	for {
		wait, err := c.step(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			c.setErr(err)
			c.logger.Error("vault: token upkeep failed; retrying", slog.String("error", err.Error()), slog.String("retry_in", backoff.String()))
			wait = backoff
			backoff = min(backoff*2, maxBackoff)
		} else {
			backoff = minBackoff
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		case <-c.kick:
			t.Stop()
		}
	}
}

// step does what the token needs now and returns how long to wait.
func (c *Client) step(ctx context.Context) (time.Duration, error) {
	gen := c.generation()
	if gen == 0 {
		if err := c.relogin(ctx, gen); err != nil {
			return 0, err
		}
	}
	c.mu.Lock()
	l := c.lease
	c.mu.Unlock()
	if l.obtained.IsZero() {
		// A fixed token: learn its lease once.
		return c.lookup(ctx)
	}
	next := c.nextRenewal(l)
	if d := time.Until(next); d > 0 {
		return d, nil
	}
	if !l.renewable {
		if c.auth.canLogin() {
			return 0, c.relogin(ctx, gen)
		}
		// Nothing to renew; looking the token up again notices a
		// revoked token or a Vault that lost it.
		return c.lookup(ctx)
	}
	return c.renew(ctx, gen, l)
}

// nextRenewal is when the token should be renewed: after two thirds of its
// TTL or after Renewal, whichever comes first; never for a token without
// TTL.
func (c *Client) nextRenewal(l lease) time.Time {
	if l.ttl == 0 {
		return l.obtained.Add(idleCheck)
	}
	wait := l.ttl * 2 / 3
	if c.opts.Renewal > 0 && c.opts.Renewal < wait {
		wait = c.opts.Renewal
	}
	return l.obtained.Add(wait)
}

func (c *Client) renew(ctx context.Context, gen uint64, l lease) (time.Duration, error) {
	incr := int(l.desired / time.Second)
	sec, err := c.api.Auth().Token().RenewSelfWithContext(ctx, incr)
	if err == nil && (sec == nil || sec.Auth == nil) {
		err = errors.New("vault answered without auth data")
	}
	if err != nil {
		if c.auth.canLogin() {
			c.logger.Warn("vault: renewal failed; logging in again", slog.String("error", err.Error()))
			return 0, c.relogin(ctx, gen)
		}
		return 0, fmt.Errorf("%w: token renewal failed: %v", ErrUnavailable, err)
	}
	ttl := time.Duration(sec.Auth.LeaseDuration) * time.Second
	c.mu.Lock()
	if c.gen == gen {
		c.lease.ttl, c.lease.obtained, c.lease.renewable = ttl, time.Now(), sec.Auth.Renewable
		c.lastErr = nil
	}
	c.mu.Unlock()
	c.logger.Info("vault: token renewed", slog.String("ttl", ttl.String()))
	if ttl < l.desired {
		// Vault capped the renewal: the token's max TTL is near.
		if c.auth.canLogin() {
			c.logger.Info("vault: token near its max TTL; logging in again", slog.String("ttl", ttl.String()))
			return 0, c.relogin(ctx, gen)
		}
		c.logger.Warn("vault: the fixed token is near its max TTL and cannot be replaced", slog.String("ttl", ttl.String()))
	}
	c.mu.Lock()
	l = c.lease
	c.mu.Unlock()
	return max(time.Until(c.nextRenewal(l)), 0), nil
}

// lookup learns a fixed token's TTL; a token that never expires is only
// checked now and then.
func (c *Client) lookup(ctx context.Context) (time.Duration, error) {
	sec, err := c.api.Auth().Token().LookupSelfWithContext(ctx)
	if err != nil {
		return 0, fmt.Errorf("%w: token lookup: %v", ErrUnavailable, classify(err, "lookup-self"))
	}
	ttl, _ := sec.TokenTTL()
	renewable, _ := sec.TokenIsRenewable()
	desired := c.opts.TokenTTL
	if desired == 0 {
		desired = ttl
	}
	l := lease{ttl: ttl, renewable: renewable, obtained: time.Now(), desired: desired}
	c.mu.Lock()
	c.lease = l
	c.lastErr = nil
	c.mu.Unlock()
	return max(time.Until(c.nextRenewal(l)), 0), nil
}
