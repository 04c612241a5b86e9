package secret

import (
	"github.com/hangar-ci/hangar/shared/envconf"
	"github.com/hangar-ci/hangar/shared/httpsig"
	"github.com/hangar-ci/hangar/shared/vaultkv"
)

// Default paths in the config repository.
const (
	DefaultPolicyPath = "_hangar/secrets.yaml"
	DefaultFilePath   = "_hangar/dev-secrets.yaml"
)

// Options configure the secret service.
type Options struct {
	// Signature verifies requests; its secret (DRONE_SECRET_PLUGIN_TOKEN, the runner's
	// name, else DRONE_SECRET) also keys aesgcm answers.
	Signature httpsig.Settings
	// Vault is used when Vault.Addr is set (VAULT_ADDR and drone-vault's
	// other variables); otherwise the file backend serves.
	Vault vaultkv.Options
	// File is the file backend's YAML (HANGAR_SECRET_FILE): a path in the
	// config repository, or an absolute path on disk. Both are read again
	// when they change.
	File string
	// PolicyPath is the central policy in the config repository
	// (HANGAR_SECRET_POLICY); secret editors cannot widen it.
	PolicyPath string
}

// OptionsFromEnv reads Options through lookup, reporting every invalid
// setting at once.
func OptionsFromEnv(lookup envconf.Lookup) (Options, error) {
	r := envconf.New(lookup)
	o := Options{
		Signature:  httpsig.ReadSettings(r, "DRONE_SECRET_PLUGIN_TOKEN", "DRONE_SECRET"),
		Vault:      vaultkv.OptionsFromEnv(r),
		File:       r.String(DefaultFilePath, "HANGAR_SECRET_FILE"),
		PolicyPath: r.String(DefaultPolicyPath, "HANGAR_SECRET_POLICY"),
	}
	return o, r.Err()
}
