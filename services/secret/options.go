package secret

import (
	"time"

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
	// Secret verifies Drone's signature and keys aesgcm answers
	// (DRONE_SECRET_PLUGIN_TOKEN, the runner's name, else DRONE_SECRET).
	Secret  string
	Skew    time.Duration
	MaxBody int64
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
		Secret:     r.String("", "DRONE_SECRET_PLUGIN_TOKEN", "DRONE_SECRET"),
		Skew:       r.Duration(httpsig.DefaultSkew, "HANGAR_SIGNATURE_SKEW"),
		MaxBody:    r.Bytes(httpsig.DefaultMaxBody, "HANGAR_MAX_BODY_SIZE"),
		Vault:      vaultkv.OptionsFromEnv(r),
		File:       r.String(DefaultFilePath, "HANGAR_SECRET_FILE"),
		PolicyPath: r.String(DefaultPolicyPath, "HANGAR_SECRET_POLICY"),
	}
	r.Check(o.Secret != "", "DRONE_SECRET", "must be set (or DRONE_SECRET_PLUGIN_TOKEN): the shared secret the runner signs with")
	r.Check(o.Skew > 0, "HANGAR_SIGNATURE_SKEW", "must be positive")
	r.Check(o.MaxBody > 0, "HANGAR_MAX_BODY_SIZE", "must be positive")
	return o, r.Err()
}
