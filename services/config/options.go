package config

import (
	"time"

	"github.com/hangar-ci/hangar/shared/envconf"
	"github.com/hangar-ci/hangar/shared/httpsig"
)

// Options configure the config service.
type Options struct {
	// Secret verifies Drone's signature (DRONE_YAML_SECRET, else DRONE_SECRET).
	Secret string
	// Skew is how far a request's Date may be from the clock.
	Skew time.Duration
	// MaxBody bounds a request body.
	MaxBody int64
	// Exclusive turns "no pipeline in the config repository" from a 204
	// (Drone reads the repository's own file) into an error.
	Exclusive bool
	// Extensions are tried in order for each candidate file.
	Extensions []string
	// HookSecret checks the config repository's push webhook
	// (GitHub X-Hub-Signature-256 or GitLab X-Gitlab-Token); empty disables
	// the endpoint.
	HookSecret string
}

// DefaultExtensions are the file kinds looked up, YAML first.
var DefaultExtensions = []string{".yaml", ".yml", ".star", ".jsonnet"}

// OptionsFromEnv reads Options through lookup, reporting every invalid
// setting at once.
func OptionsFromEnv(lookup envconf.Lookup) (Options, error) {
	r := envconf.New(lookup)
	o := Options{
		Secret:     r.String("", "DRONE_YAML_SECRET", "DRONE_SECRET"),
		Skew:       r.Duration(httpsig.DefaultSkew, "HANGAR_SIGNATURE_SKEW"),
		MaxBody:    r.Bytes(httpsig.DefaultMaxBody, "HANGAR_MAX_BODY_SIZE"),
		Exclusive:  r.Bool(false, "HANGAR_CONFIG_EXCLUSIVE"),
		Extensions: r.List(DefaultExtensions, "HANGAR_CONFIG_EXTENSIONS"),
		HookSecret: r.String("", "HANGAR_REPO_WEBHOOK_SECRET"),
	}
	r.Check(o.Secret != "", "DRONE_SECRET", "must be set (or DRONE_YAML_SECRET): the shared secret Drone signs with")
	r.Check(o.Skew > 0, "HANGAR_SIGNATURE_SKEW", "must be positive")
	r.Check(o.MaxBody > 0, "HANGAR_MAX_BODY_SIZE", "must be positive")
	for _, e := range o.Extensions {
		r.Check(len(e) > 1 && e[0] == '.', "HANGAR_CONFIG_EXTENSIONS", "%q must start with a dot", e)
	}
	return o, r.Err()
}
