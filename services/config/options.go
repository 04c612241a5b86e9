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
	// Tree gives every repository per-directory configs
	// (HANGAR_CONFIG_TREE); without it, the repositories listed in
	// _hangar/config-tree.yaml of the config repository get them.
	Tree bool
	// TreeMaxDirs bounds how many directories may contribute pipelines
	// to one build (HANGAR_CONFIG_TREE_MAX_DIRS).
	TreeMaxDirs int
	// RepoSCM reads built repositories for per-directory configs; FromEnv
	// fills it from the SCM settings (HANGAR_SCM…), nil without them.
	RepoSCM RepoSCM
}

// DefaultExtensions are the file kinds looked up, YAML first.
var DefaultExtensions = []string{".yaml", ".yml", ".star", ".jsonnet"}

// OptionsFromEnv reads Options through lookup, reporting every invalid
// setting at once.
func OptionsFromEnv(lookup envconf.Lookup) (Options, error) {
	r := envconf.New(lookup)
	o := Options{
		Signature:   httpsig.ReadSettings(r, "DRONE_YAML_SECRET", "DRONE_SECRET"),
		Exclusive:   r.Bool(false, "HANGAR_CONFIG_EXCLUSIVE"),
		Extensions:  r.List(DefaultExtensions, "HANGAR_CONFIG_EXTENSIONS"),
		HookSecret:  r.String("", "HANGAR_REPO_WEBHOOK_SECRET"),
		Tree:        r.Bool(false, "HANGAR_CONFIG_TREE"),
		TreeMaxDirs: r.Int(20, "HANGAR_CONFIG_TREE_MAX_DIRS"),
	}
	r.Check(o.TreeMaxDirs > 0, "HANGAR_CONFIG_TREE_MAX_DIRS", "must be positive")
	for _, e := range o.Extensions {
		r.Check(len(e) > 1 && e[0] == '.', "HANGAR_CONFIG_EXTENSIONS", "%q must start with a dot", e)
	}
	return o, r.Err()
}
