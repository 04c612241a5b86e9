package convert

import (
	"context"
	"crypto/sha256"
	"errors"
	"io/fs"
	"path"
	"strings"

	"github.com/hangar-ci/hangar/shared/httperr"
	"github.com/hangar-ci/hangar/shared/scm"
	"github.com/hangar-ci/hangar/shared/tree"
)

// root is where a module lives.
type root uint8

const (
	rootLib     root = iota + 1 // the config repository's _hangar/lib
	rootCentral                 // the whole config repository (centrally served scripts)
	rootRepo                    // the repository being built, through the SCM API
)

// modRef names one module: its root and its clean path inside it.
type modRef struct {
	root root
	path string
}

// display is how messages name the module: the spelling of load().
func (m modRef) display() string {
	switch m.root {
	case rootLib:
		return "@hangar//" + m.path
	case rootRepo:
		return "//" + m.path
	}
	return m.path
}

// dep is one file a rendering read, with a digest of its content.
type dep struct {
	ref modRef
	sum [32]byte
}

// resolve turns the argument of load() or import, written in the module
// from, into a module reference confined to its root.
func resolve(from modRef, spec string) (modRef, error) {
	var to modRef
	switch {
	case strings.HasPrefix(spec, "@hangar//"):
		to = modRef{rootLib, strings.TrimPrefix(spec, "@hangar//")}
	case strings.HasPrefix(spec, "@"):
		return modRef{}, scriptError("%q: unknown repository; use @hangar//path (the config repository's %s/) or //path (this repository)", spec, LibDir)
	case strings.HasPrefix(spec, "//"):
		to = modRef{rootRepo, strings.TrimPrefix(spec, "//")}
	case strings.HasPrefix(spec, "/"):
		return modRef{}, scriptError("%q: absolute paths are not allowed; use //path for this repository", spec)
	default:
		to = modRef{from.root, path.Join(path.Dir(from.path), spec)}
	}
	clean := path.Clean(to.path)
	if clean == ".." || strings.HasPrefix(clean, "../") {
		return modRef{}, scriptError("%q: the path leaves its repository", spec)
	}
	if to.root == rootCentral && strings.HasPrefix(clean, "_hangar/") {
		return modRef{}, scriptError("%q: files under _hangar/ are not modules; use @hangar//path for the library", spec)
	}
	if err := tree.ValidPath(clean); err != nil {
		return modRef{}, scriptError("%q: %v", spec, err)
	}
	to.path = clean
	return to, nil
}

// files reads modules for one rendering, enforcing the module limits and
// recording what was read.
type files struct {
	ctx       context.Context
	in        *Input
	mods      *moduleCache
	count     int
	bytes     int
	deps      []dep
	cacheable bool
}

func newFiles(ctx context.Context, in *Input, mods *moduleCache) *files {
	return &files{ctx: ctx, in: in, mods: mods, cacheable: true}
}

// read returns a module's content.
func (f *files) read(ref modRef) ([]byte, error) {
	if f.count >= f.in.Limits.Modules {
		return nil, scriptError("more than %s loaded (HANGAR_CONVERT_MAX_MODULES)", plural(f.in.Limits.Modules, "module", "modules"))
	}
	b, err := f.fetch(ref)
	if err != nil {
		return nil, err
	}
	f.count++
	if f.bytes += len(b); f.bytes > f.in.Limits.ModuleBytes {
		return nil, scriptError("the modules loaded exceed %d bytes in total (HANGAR_CONVERT_MAX_MODULE_BYTES)", f.in.Limits.ModuleBytes)
	}
	f.deps = append(f.deps, dep{ref, sha256.Sum256(b)})
	return b, nil
}

func (f *files) fetch(ref modRef) ([]byte, error) {
	name := ref.display()
	if ref.root == rootRepo {
		return f.fetchRepo(ref)
	}
	if f.in.Config == nil {
		return nil, scriptError("%s: no config repository here to load from", name)
	}
	p := ref.path
	if ref.root == rootLib {
		p = LibDir + "/" + p
	}
	b, err := f.in.Config.ReadFile(f.ctx, p)
	switch {
	case err == nil:
		return b, nil
	case errors.Is(err, tree.ErrNotExist):
		return nil, scriptError("%s: no such file in the config repository (%s)", name, p)
	}
	return nil, httperr.Wrap(httperr.Unavailable, err, "%s: config repository unavailable: %v", name, err)
}

func (f *files) fetchRepo(ref modRef) ([]byte, error) {
	name := ref.display()
	if f.in.RepoFiles == nil {
		return nil, scriptError("%s: loading from the repository being built is not available here", name)
	}
	if d, ok := f.in.RepoFiles.(denied); ok {
		// Before the module cache, which holds files other builds of the
		// same repository were allowed to read.
		return d.ReadFile(f.ctx, "", "", "")
	}
	slug := repoSlug(f.in.Repo)
	at := f.in.Build.After
	if at == "" {
		at = f.in.Build.Ref
	}
	if at == "" {
		return nil, scriptError("%s: the build names no commit or ref to load it at", name)
	}
	if !isCommit(at) {
		f.cacheable = false // a branch moves; the result may not be reused
	}
	b, err := f.mods.repoFile(f.ctx, f.in.RepoFiles, slug, at, ref.path)
	switch {
	case err == nil:
		return b, nil
	case isNotFound(err):
		return nil, scriptError("%s: no such file in %s at %s", name, slug, short(at))
	}
	var he *httperr.Error
	if errors.As(err, &he) {
		return nil, err // a refusal with its own message
	}
	return nil, httperr.Wrap(httperr.Unavailable, err, "%s: cannot read %s at %s: %v", name, slug, short(at), err)
}

// isNotFound recognises a missing file from any RepoFiles implementation.
func isNotFound(err error) bool {
	var nf interface{ NotFound() bool }
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, ErrNotFound) || errors.Is(err, scm.ErrNotFound) || (errors.As(err, &nf) && nf.NotFound())
}

// isCommit reports whether ref is a full commit id, which never moves.
func isCommit(ref string) bool {
	if len(ref) != 40 && len(ref) != 64 {
		return false
	}
	for _, c := range []byte(ref) {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func short(ref string) string {
	if isCommit(ref) {
		return ref[:12]
	}
	return ref
}
