package config

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/hangar-ci/hangar/shared/httperr"
	"github.com/hangar-ci/hangar/shared/tree"
)

// Level names where in the hierarchy a pipeline was found.
type Level string

// The levels, most specific first.
const (
	LevelBranch Level = "branch"
	LevelRepo   Level = "repo"
	LevelOrg    Level = "org"
	LevelGlobal Level = "global"
	LevelNone   Level = "none"
)

// Found is a pipeline file picked from the config repository.
type Found struct {
	Path  string
	Level Level
	Data  []byte
}

type candidate struct {
	stem  string
	level Level
}

// candidates lists the stems to try for a build, most specific first:
// <ns>/<name>/<branch>, <ns>/<name>/default, <ns>/default, default. A
// branch with slashes becomes folders. Every name is checked before any
// path is built, so none can leave the tree.
func candidates(namespace, name, branch string) ([]candidate, error) {
	for _, f := range []struct{ what, v string }{{"namespace", namespace}, {"repository name", name}} {
		if err := tree.ValidSegment(f.v); err != nil {
			return nil, httperr.Wrap(httperr.Invalid, err, "%s %q refused: %v", f.what, trim(f.v), reason(err))
		}
	}
	var out []candidate
	if branch != "" {
		if err := tree.ValidPath(branch); err != nil {
			return nil, httperr.Wrap(httperr.Invalid, err, "branch %q refused: %v", trim(branch), reason(err))
		}
		out = append(out, candidate{path.Join(namespace, name, branch), LevelBranch})
	}
	return append(out,
		candidate{path.Join(namespace, name, "default"), LevelRepo},
		candidate{path.Join(namespace, "default"), LevelOrg},
		candidate{"default", LevelGlobal},
	), nil
}

// find returns the most specific pipeline file for the build, or a Found
// with LevelNone when the tree has none.
func find(ctx context.Context, t tree.Tree, exts []string, namespace, name, branch string) (Found, error) {
	cands, err := candidates(namespace, name, branch)
	if err != nil {
		return Found{}, err
	}
	for _, c := range cands {
		for _, ext := range exts {
			p := c.stem + ext
			if tree.ValidPath(p) != nil {
				continue // the branch plus extension ran over a length limit
			}
			data, err := t.ReadFile(ctx, p)
			switch {
			case err == nil:
				return Found{Path: p, Level: c.level, Data: data}, nil
			case errors.Is(err, tree.ErrNotExist):
				continue
			default:
				return Found{}, httperr.Wrap(httperr.Unavailable, err, "config repository unavailable reading %s: %v", p, err)
			}
		}
	}
	return Found{Level: LevelNone}, nil
}

func reason(err error) string {
	return strings.TrimPrefix(err.Error(), tree.ErrInvalidPath.Error()+": ")
}

func trim(s string) string {
	if len(s) > 64 {
		return fmt.Sprintf("%s…", s[:64])
	}
	return s
}
