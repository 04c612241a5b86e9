package tree

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/hangar-ci/hangar/shared/envconf"
	"github.com/hangar-ci/hangar/shared/scm"
)

// Source is the config repository a process serves, with what keeps it
// current.
type Source struct {
	Tree        Tree
	Description string
	// Ready reports whether the source can be read.
	Ready func(context.Context) error
	// Run keeps the source current until ctx ends (nil when nothing to do).
	Run func(context.Context) error
}

// FromEnv opens the config repository HANGAR_REPO_SOURCE names:
//   - "dir" (default): the directory HANGAR_REPO_DIR (default
//     "config-repo"), reloaded on change;
//   - "github" or "gitlab": the repository HANGAR_REPO_SLUG at
//     HANGAR_REPO_REF (default "main") through the API, reached with
//     HANGAR_GITHUB_URL/HANGAR_GITHUB_TOKEN or HANGAR_GITLAB_URL/
//     HANGAR_GITLAB_TOKEN, cached for HANGAR_REPO_CACHE_TTL (default 5m) or
//     until the config repository's push webhook arrives.
func FromEnv(lookup envconf.Lookup, logger *slog.Logger) (Source, error) {
	r := envconf.New(lookup)
	kind := r.String("dir", "HANGAR_REPO_SOURCE")
	dir := r.String("config-repo", "HANGAR_REPO_DIR")
	slug := r.String("", "HANGAR_REPO_SLUG")
	ref := r.String("main", "HANGAR_REPO_REF")
	ttl := r.Duration(5*time.Minute, "HANGAR_REPO_CACHE_TTL")
	r.Check(ttl > 0, "HANGAR_REPO_CACHE_TTL", "must be positive")
	switch kind {
	case "dir":
	case "github", "gitlab":
		r.Check(slug != "", "HANGAR_REPO_SLUG", "must name the config repository (namespace/name) when HANGAR_REPO_SOURCE is %s", kind)
	default:
		r.Fail("HANGAR_REPO_SOURCE", "%q is not one of dir, github, gitlab", kind)
	}
	if err := r.Err(); err != nil {
		return Source{}, err
	}
	if kind == "dir" {
		d, err := NewDir(dir, logger)
		if err != nil {
			return Source{}, err
		}
		return Source{Tree: d, Description: "dir:" + dir, Ready: d.Ready, Run: d.Run}, nil
	}
	opts, err := scm.OptionsFromEnv(func(k string) (string, bool) {
		if k == "HANGAR_SCM" {
			return kind, true
		}
		return lookup(k)
	})
	if err != nil {
		return Source{}, err
	}
	client, err := scm.New(opts)
	if err != nil {
		return Source{}, err
	}
	rem := NewRemote(client, slug, ref, ttl, logger)
	return Source{Tree: rem, Description: fmt.Sprintf("%s:%s@%s", kind, slug, ref), Ready: rem.Ready}, nil
}
