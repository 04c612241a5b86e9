package vaultkv

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/vault/api"
)

// mountInfo is a KV mount and its version.
type mountInfo struct {
	path    string // with a trailing slash: "secret/"
	version int
	expires time.Time
}

// mountCache remembers mounts by path so most reads cost one request.
type mountCache struct {
	ttl time.Duration
	mu  sync.Mutex
	m   map[string]mountInfo
}

func newMountCache(ttl time.Duration) *mountCache {
	return &mountCache{ttl: ttl, m: map[string]mountInfo{}}
}

// lookup returns the cached mount holding p.
func (mc *mountCache) lookup(p string, now time.Time) (mountInfo, bool) {
	mc.mu.Lock()
	defer mc.mu.Unlock()
	var best mountInfo
	for mp, info := range mc.m {
		if strings.HasPrefix(p+"/", mp) && len(mp) > len(best.path) && now.Before(info.expires) {
			best = info
		}
	}
	return best, best.path != ""
}

func (mc *mountCache) store(info mountInfo) {
	mc.mu.Lock()
	defer mc.mu.Unlock()
	mc.m[info.path] = info
}

// mount finds the KV mount holding p through Vault's mounts API
// (sys/internal/ui/mounts/<path>, the endpoint the Vault CLI's `kv`
// commands use: any token that may read under a mount may ask, unlike
// sys/mounts). The version is the mount's, never guessed from the data.
func (c *Client) mount(ctx context.Context, p string) (mountInfo, error) {
	now := time.Now()
	if m, ok := c.mounts.lookup(p, now); ok {
		return m, nil
	}
	sec, err := c.api.Logical().ReadWithContext(ctx, "sys/internal/ui/mounts/"+p)
	if err != nil {
		// A path under no mount, or one the token may not touch, is a
		// "preflight capability check" 403 (the same answer for both, so
		// the token cannot probe mounts); a bare "permission denied" 403
		// means the token itself is refused, and is the caller's to handle.
		var re *api.ResponseError
		if errors.As(err, &re) && re.StatusCode >= 400 && re.StatusCode < 500 &&
			(re.StatusCode != http.StatusForbidden || strings.Contains(strings.Join(re.Errors, " "), "preflight capability check")) {
			return mountInfo{}, fmt.Errorf("%w: no KV mount holds %s that Hangar may read (%s)", ErrNotFound, p, strings.Join(re.Errors, "; "))
		}
		return mountInfo{}, classify(err, "mount of "+p)
	}
	if sec == nil || sec.Data == nil {
		return mountInfo{}, fmt.Errorf("%w: no mount holds %s", ErrNotFound, p)
	}
	mp, _ := sec.Data["path"].(string)
	typ, _ := sec.Data["type"].(string)
	if mp == "" || !strings.HasPrefix(p+"/", mp) {
		return mountInfo{}, fmt.Errorf("%w: no mount holds %s", ErrNotFound, p)
	}
	if typ != "kv" && typ != "generic" {
		return mountInfo{}, fmt.Errorf("%w: %s is in a %q mount, not a KV mount", ErrNotFound, p, typ)
	}
	version := 1
	if opts, ok := sec.Data["options"].(map[string]any); ok && opts["version"] == "2" {
		version = 2
	}
	m := mountInfo{path: mp, version: version, expires: now.Add(c.mounts.ttl)}
	c.mounts.store(m)
	return m, nil
}
