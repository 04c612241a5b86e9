package config

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"path"
	"slices"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	"go.yaml.in/yaml/v3"

	"github.com/hangar-ci/hangar/shared/httperr"
	"github.com/hangar-ci/hangar/shared/pipeline"
	"github.com/hangar-ci/hangar/shared/reqlog"
	"github.com/hangar-ci/hangar/shared/scm"
	"github.com/hangar-ci/hangar/shared/tree"
	"github.com/hangar-ci/hangar/shared/wire"
)

// LevelTree marks an answer merged from the built repository's
// per-directory pipeline files.
const LevelTree Level = "tree"

// TreeSettingsPath is the config repository file that turns per-directory
// configs on for some repositories: `repos: [slug globs]`.
const TreeSettingsPath = "_hangar/config-tree.yaml"

// RepoSCM reads the repository being built: its files, its file list and
// a build's changed files. shared/scm's GitHub and GitLab clients are one.
type RepoSCM interface {
	scm.Client
	scm.Changer
	scm.Lister
}

// monorepo answers a build with the pipelines of the nearest pipeline file
// above each changed file of the built repository, merged into one
// multi-document config, each pipeline renamed <dir>/<name> so that
// directories never collide. Drone sends a config extension no changed
// files, so they are asked of the SCM with the build's before and after
// (scm.Changer: compare, pull request files, merge base for new branches).
// Builds without a diff (cron, custom, tag, promote) and builds whose list
// is incomplete get every directory's pipelines.
type monorepo struct {
	scm     RepoSCM
	central tree.Tree
	all     bool // HANGAR_CONFIG_TREE: every repository
	maxDirs int
}

// treeRequest is what per-directory configs read of Drone's request
// beyond wire.Subject (drone-go's field names).
type treeRequest struct {
	Repo struct {
		Branch string `json:"default_branch"`
		Config string `json:"config_path"`
	} `json:"repo"`
	Build struct {
		Event  string `json:"event"`
		Target string `json:"target"`
		Ref    string `json:"ref"`
		Before string `json:"before"`
		After  string `json:"after"`
	} `json:"build"`
}

// enabled reports whether slug gets per-directory configs.
func (m *monorepo) enabled(ctx context.Context, slug string) (bool, error) {
	if m.all {
		return true, nil
	}
	data, err := m.central.ReadFile(ctx, TreeSettingsPath)
	switch {
	case errors.Is(err, tree.ErrNotExist):
		return false, nil
	case err != nil:
		return false, httperr.Wrap(httperr.Unavailable, err, "config repository unavailable reading %s: %v", TreeSettingsPath, err)
	}
	var s struct {
		Repos []string `yaml:"repos"`
	}
	if err := yaml.Unmarshal(data, &s); err != nil {
		return false, httperr.Wrap(httperr.Unprocessable, err, "%s: %v", TreeSettingsPath, err)
	}
	for _, g := range s.Repos {
		if ok, _ := doublestar.Match(g, slug); ok {
			return true, nil
		}
	}
	return false, nil
}

// lookup answers r for slug, or reports false when slug does not use
// per-directory configs or its repository has no pipeline file for this
// change (the usual lookup then runs).
func (m *monorepo) lookup(r *http.Request, slug string) ([]byte, []string, bool, error) {
	if m == nil {
		return nil, nil, false, nil
	}
	ctx := r.Context()
	on, err := m.enabled(ctx, slug)
	if err != nil || !on {
		return nil, nil, false, err
	}
	if m.scm == nil {
		return nil, nil, false, httperr.New(httperr.Unavailable, "per-directory configs for %s need the SCM settings (HANGAR_SCM and its token)", slug)
	}
	var req treeRequest
	if err := wire.Decode(r, &req); err != nil {
		return nil, nil, false, err
	}
	if req.Build.After == "" {
		return nil, nil, false, httperr.New(httperr.Invalid, "per-directory configs need the build's commit (build.after)")
	}
	name := path.Base(req.Repo.Config)
	if req.Repo.Config == "" {
		name = ".drone.yml"
	}
	if ext := path.Ext(name); ext != ".yml" && ext != ".yaml" {
		return nil, nil, false, httperr.New(httperr.Unprocessable, "per-directory configs merge YAML files; %s is not one", name)
	}
	dirs, err := m.dirs(ctx, slug, name, req)
	if err != nil || len(dirs) == 0 {
		return nil, nil, false, err
	}
	if len(dirs) > m.maxDirs {
		return nil, nil, false, httperr.New(httperr.Unprocessable, "%d directories of %s have pipelines for this build (%s …), over the limit of %d (HANGAR_CONFIG_TREE_MAX_DIRS)",
			len(dirs), slug, strings.Join(dirs[:min(3, len(dirs))], ", "), m.maxDirs)
	}
	var out []byte
	for _, d := range dirs {
		p := path.Join(d, name)
		data, err := m.scm.ReadFile(ctx, slug, req.Build.After, p)
		if err != nil {
			return nil, nil, false, httperr.Wrap(httperr.Unavailable, err, "reading %s of %s: %v", p, slug, err)
		}
		prefix := d + "/"
		if d == "." {
			prefix = "" // the root's pipelines keep their names
		}
		docs, err := pipeline.Prefix(data, prefix)
		if err != nil {
			return nil, nil, false, httperr.Wrap(httperr.Unprocessable, err, "%s of %s: %v", p, slug, err)
		}
		out = append(out, docs...)
	}
	// The merged file must still be a valid manifest: names unique and
	// every dependency declared earlier.
	mf, err := pipeline.Parse(out)
	if err == nil {
		err = pipeline.LintManifest(mf)
	}
	if err != nil {
		return nil, nil, false, httperr.Wrap(httperr.Unprocessable, err, "merged per-directory configs of %s: %v", slug, err)
	}
	return out, dirs, true, nil
}

// dirs returns the directories (sorted, "." for the root) whose pipeline
// file is the nearest above some changed file, or every directory with
// one when the build has no usable diff.
func (m *monorepo) dirs(ctx context.Context, slug, name string, req treeRequest) ([]string, error) {
	files, truncated, err := m.scm.Files(ctx, slug, req.Build.After)
	if err != nil {
		return nil, httperr.Wrap(httperr.Unavailable, err, "listing %s: %v", slug, err)
	}
	if truncated {
		return nil, httperr.New(httperr.Unprocessable, "%s has too many files for the SCM to list at once: per-directory configs cannot find its pipeline files", slug)
	}
	has := map[string]bool{}
	for _, f := range files {
		if path.Base(f) == name {
			has[path.Dir(f)] = true
		}
	}
	all := true
	var changed []string
	switch req.Build.Event {
	case "push", "pull_request":
		cs, err := m.scm.Changes(ctx, scm.ChangeRequest{Slug: slug, Event: req.Build.Event, Before: req.Build.Before, After: req.Build.After,
			Ref: req.Build.Ref, Target: req.Build.Target, DefaultBranch: req.Repo.Branch})
		if err != nil {
			// Fail open, as path filters do: an unknown old tip (a force
			// push over a collected commit) builds every directory.
			reqlog.From(ctx).Warn("changed files unavailable: every directory contributes", slog.String("error", err.Error()))
			break
		}
		all, changed = cs.Incomplete, cs.Files
	}
	set := map[string]bool{}
	if all {
		set = has
	}
	for _, f := range changed {
		for d := path.Dir(f); ; d = path.Dir(d) {
			if has[d] {
				set[d] = true
				break
			}
			if d == "." || d == "/" {
				break
			}
		}
	}
	out := make([]string, 0, len(set))
	for d := range set {
		out = append(out, d)
	}
	slices.Sort(out)
	return out, nil
}
