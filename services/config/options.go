package config

import (
	"github.com/hangar-ci/hangar/shared/envconf"
	"github.com/hangar-ci/hangar/shared/httpsig"
)

// Options configure the config service.
type Options struct {
	// Signature verifies Drone's requests (secret DRONE_YAML_SECRET, else
	// DRONE_SECRET).
	Signature httpsig.Settings
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
		Signature:  httpsig.ReadSettings(r, "DRONE_YAML_SECRET", "DRONE_SECRET"),
		Exclusive:  r.Bool(false, "HANGAR_CONFIG_EXCLUSIVE"),
		Extensions: r.List(DefaultExtensions, "HANGAR_CONFIG_EXTENSIONS"),
		HookSecret: r.String("", "HANGAR_REPO_WEBHOOK_SECRET"),
	}
	for _, e := range o.Extensions {
		r.Check(len(e) > 1 && e[0] == '.', "HANGAR_CONFIG_EXTENSIONS", "%q must start with a dot", e)
	}
	return o, r.Err()
}
