package validate

import (
	"github.com/hangar-ci/hangar/shared/envconf"
	"github.com/hangar-ci/hangar/shared/httpsig"
	"github.com/hangar-ci/hangar/shared/tree"
)

// DefaultPolicyPath is where the policy lives in the config repository.
const DefaultPolicyPath = "_hangar/policy.yaml"

// Options configure the validate service.
type Options struct {
	// Signature verifies requests: the shared secret, Date skew and body limit.
	Signature httpsig.Settings
	// PolicyPath is the policy file inside the config repository.
	PolicyPath string
	// Lint applies Drone's resource-level lint rules, which the Drone
	// server itself leaves to the runners, with repo.trusted.
	Lint bool
	// CacheEntries bounds the parse and lint results kept by content
	// (0 disables the cache); CacheBytes bounds the YAML they stand for.
	CacheEntries int
	CacheBytes   int
}

// OptionsFromEnv reads Options through lookup, reporting every invalid
// setting at once.
func OptionsFromEnv(lookup envconf.Lookup) (Options, error) {
	r := envconf.New(lookup)
	o := Options{
		Signature:    httpsig.ReadSettings(r, "DRONE_VALIDATE_PLUGIN_SECRET", "DRONE_SECRET"),
		PolicyPath:   r.String(DefaultPolicyPath, "HANGAR_VALIDATE_POLICY"),
		Lint:         r.Bool(true, "HANGAR_VALIDATE_LINT"),
		CacheEntries: r.Int(256, "HANGAR_VALIDATE_CACHE_ENTRIES"),
		CacheBytes:   int(r.Bytes(32<<20, "HANGAR_VALIDATE_CACHE_SIZE")),
	}
	r.Check(o.CacheEntries >= 0, "HANGAR_VALIDATE_CACHE_ENTRIES", "must not be negative")
	r.Check(o.CacheBytes > 0, "HANGAR_VALIDATE_CACHE_SIZE", "must be positive")
	if err := tree.ValidPath(o.PolicyPath); err != nil {
		r.Fail("HANGAR_VALIDATE_POLICY", "%v", err)
	}
	return o, r.Err()
}
