package tree

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/hangar-ci/hangar/shared/envconf"
)

// Source is the config repository a process serves, with what keeps it
// current.
type Source struct {
	Tree        Tree
	Description string
	// Ready reports whether the source can be read.
	Ready func(context.Context) error
	// Run keeps the source current until ctx ends.
	Run func(context.Context) error
}

// FromEnv opens the config repository that HANGAR_REPO_SOURCE names:
// "dir" (default) reads HANGAR_REPO_DIR (default "config-repo").
func FromEnv(lookup envconf.Lookup, logger *slog.Logger) (Source, error) {
	r := envconf.New(lookup)
	kind := r.String("dir", "HANGAR_REPO_SOURCE")
	dir := r.String("config-repo", "HANGAR_REPO_DIR")
	if err := r.Err(); err != nil {
		return Source{}, err
	}
	switch kind {
	case "dir":
		d, err := NewDir(dir, logger)
		if err != nil {
			return Source{}, err
		}
		return Source{Tree: d, Description: "dir:" + dir, Ready: d.Ready, Run: d.Run}, nil
	}
	return Source{}, fmt.Errorf("HANGAR_REPO_SOURCE: %q is not one of dir, github, gitlab", kind)
}
