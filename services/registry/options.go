package registry

import (
	"github.com/hangar-ci/hangar/shared/envconf"
	"github.com/hangar-ci/hangar/shared/httpsig"
	"github.com/hangar-ci/hangar/shared/vaultkv"
)

// DefaultFilePath is the registry file in the config repository.
const DefaultFilePath = "_hangar/registries.yaml"

// Options configure the registry service.
type Options struct {
	// Signature verifies requests; its secret (DRONE_REGISTRY_PLUGIN_TOKEN, the runner's
	// name, else DRONE_SECRET) also keys aesgcm answers.
	Signature httpsig.Settings
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
		Signature:  httpsig.ReadSettings(r, "DRONE_REGISTRY_PLUGIN_TOKEN", "DRONE_SECRET"),
		Vault:      vaultkv.OptionsFromEnv(r),
		VaultPaths: r.List(nil, "HANGAR_REGISTRY_VAULT_PATHS"),
		File:       r.String(DefaultFilePath, "HANGAR_REGISTRY_FILE"),
	}
	r.Check(len(o.VaultPaths) == 0 || o.Vault.Addr != "", "HANGAR_REGISTRY_VAULT_PATHS", "needs VAULT_ADDR")
	return o, r.Err()
}
