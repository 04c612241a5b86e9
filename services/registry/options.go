package registry

import (
	"time"

	"github.com/hangar-ci/hangar/shared/envconf"
	"github.com/hangar-ci/hangar/shared/httpsig"
	"github.com/hangar-ci/hangar/shared/vaultkv"
)

// DefaultFilePath is the registry file in the config repository.
const DefaultFilePath = "_hangar/registries.yaml"

// Options configure the registry service.
type Options struct {
	// Secret verifies Drone's signature and keys aesgcm answers
	// (DRONE_REGISTRY_PLUGIN_TOKEN, else DRONE_SECRET).
	Secret  string
	Skew    time.Duration
	MaxBody int64
	// Vault and VaultPaths: each path (HANGAR_REGISTRY_VAULT_PATHS,
	// comma-separated) holds one entry with keys address, username,
	// password, email and the X-Drone-* restriction keys.
	Vault      vaultkv.Options
	VaultPaths []string
	// File lists entries (HANGAR_REGISTRY_FILE): a path in the config
	// repository or an absolute path on disk; missing means none.
	File string
}

// OptionsFromEnv reads Options through lookup, reporting every invalid
// setting at once.
func OptionsFromEnv(lookup envconf.Lookup) (Options, error) {
	r := envconf.New(lookup)
	o := Options{
		Secret:     r.String("", "DRONE_REGISTRY_PLUGIN_TOKEN", "DRONE_SECRET"),
		Skew:       r.Duration(httpsig.DefaultSkew, "HANGAR_SIGNATURE_SKEW"),
		MaxBody:    r.Bytes(httpsig.DefaultMaxBody, "HANGAR_MAX_BODY_SIZE"),
		Vault:      vaultkv.OptionsFromEnv(r),
		VaultPaths: r.List(nil, "HANGAR_REGISTRY_VAULT_PATHS"),
		File:       r.String(DefaultFilePath, "HANGAR_REGISTRY_FILE"),
	}
	r.Check(o.Secret != "", "DRONE_SECRET", "must be set (or DRONE_REGISTRY_PLUGIN_TOKEN): the shared secret Drone signs with")
	r.Check(o.Skew > 0, "HANGAR_SIGNATURE_SKEW", "must be positive")
	r.Check(o.MaxBody > 0, "HANGAR_MAX_BODY_SIZE", "must be positive")
	r.Check(len(o.VaultPaths) == 0 || o.Vault.Addr != "", "HANGAR_REGISTRY_VAULT_PATHS", "needs VAULT_ADDR")
	return o, r.Err()
}
