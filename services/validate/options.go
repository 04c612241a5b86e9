package validate

import (
	"time"

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
	// ParseMemory bounds the memory of the parses running at once
	// (HANGAR_VALIDATE_PARSE_MEMORY); 0 leaves it unbounded. ParseWait
	// is how long a parse waits for room before the request is answered
	// 503 with Retry-After (HANGAR_VALIDATE_PARSE_WAIT).
	ParseMemory int64
	ParseWait   time.Duration
}

// Defaults of the parse memory and of the wait for it.
const (
	DefaultParseMemory = 256 << 20
	DefaultParseWait   = 10 * time.Second
)

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
		ParseMemory:  r.Bytes(DefaultParseMemory, "HANGAR_VALIDATE_PARSE_MEMORY"),
		ParseWait:    r.Duration(DefaultParseWait, "HANGAR_VALIDATE_PARSE_WAIT"),
	}
	r.Check(o.ParseMemory >= 0, "HANGAR_VALIDATE_PARSE_MEMORY", "must not be negative")
	r.Check(o.ParseWait > 0, "HANGAR_VALIDATE_PARSE_WAIT", "must be positive")
	r.Check(o.CacheEntries >= 0, "HANGAR_VALIDATE_CACHE_ENTRIES", "must not be negative")
	r.Check(o.CacheBytes > 0, "HANGAR_VALIDATE_CACHE_SIZE", "must be positive")
	if err := tree.ValidPath(o.PolicyPath); err != nil {
		r.Fail("HANGAR_VALIDATE_POLICY", "%v", err)
	}
	return o, r.Err()
}
