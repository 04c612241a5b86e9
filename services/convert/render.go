package convert

import (
	"context"
	"fmt"
	"time"

	"github.com/drone/drone-go/drone"

	"github.com/hangar-ci/hangar/shared/httperr"
	"github.com/hangar-ci/hangar/shared/tree"
	"github.com/hangar-ci/hangar/shared/wire"
)

// Script kinds Render runs.
const (
	KindStarlark = "starlark"
	KindJsonnet  = "jsonnet"
)

// LibDir is the folder of the config repository that load("@hangar//x")
// and Jsonnet imports read.
const LibDir = "_hangar/lib"

// Limits bound one conversion. A zero field takes its default.
type Limits struct {
	// Steps bounds Starlark execution steps, module initialisation
	// included (DRONE_STARLARK_STEP_LIMIT).
	Steps uint64
	// Size bounds the YAML produced, in bytes (DRONE_STARLARK_SIZE_LIMIT).
	Size int
	// Timeout bounds the wall-clock time of a conversion.
	Timeout time.Duration
	// Modules bounds how many modules one conversion may load.
	Modules int
	// ModuleBytes bounds the total size of the modules loaded.
	ModuleBytes int
}

func (l Limits) withDefaults() Limits {
	if l.Steps == 0 {
		l.Steps = DefaultStepLimit
	}
	if l.Size <= 0 {
		l.Size = DefaultSizeLimit
	}
	if l.Timeout <= 0 {
		l.Timeout = DefaultTimeout
	}
	if l.Modules <= 0 {
		l.Modules = DefaultMaxModules
	}
	if l.ModuleBytes <= 0 {
		l.ModuleBytes = DefaultModuleBytes
	}
	return l
}

// Input is one script to render, with everything it may see.
type Input struct {
	// Name is the script's file name, used in error messages and as the
	// base of relative loads: the repository's config path, or the path in
	// the config repository when Central is set.
	Name string
	// Kind is KindStarlark or KindJsonnet; empty means judged by Name.
	Kind string
	// Script is the source.
	Script []byte
	// Central says the script is a file of the config repository (served
	// by the config service), so relative loads read the config repository
	// rather than the repository being built.
	Central bool
	// Build and Repo become ctx.build and ctx.repo (Jsonnet: build.* and
	// repo.* external variables).
	Build drone.Build
	Repo  drone.Repo
	// Params become ctx.input (Jsonnet: input.* external variables).
	Params map[string]any
	// Config is the central config repository: load("@hangar//x.star")
	// reads _hangar/lib/x.star from it. Nil refuses those loads.
	Config tree.Tree
	// RepoFiles reads the repository being built for load("//x.star"), at
	// build.after (else build.ref). Nil refuses those loads.
	RepoFiles RepoFiles
	// Limits bound the conversion.
	Limits Limits
}

// Render runs a Starlark or Jsonnet pipeline script and returns the
// pipelines it produces as multi-document YAML, one document per pipeline.
//
// Errors are *httperr.Error values whose message is fit for a build's
// error text: Unprocessable for anything wrong with the script (syntax,
// runtime, limits, loads), Unavailable when a repository could not be read,
// Invalid for an unknown kind.
func Render(ctx context.Context, in Input) (string, error) {
	out, err := render(ctx, in, engine{})
	return out.yaml, err
}

// result is a rendering and what it depended on.
type result struct {
	yaml string
	deps []dep
	// cacheable is false when a dependency may change without the key
	// changing (a file of the built repository read at a branch ref).
	cacheable bool
	// steps is the Starlark steps the conversion took, for operators
	// sizing DRONE_STARLARK_STEP_LIMIT.
	steps uint64
}

// engine is what a service keeps for its conversions; the zero engine
// caches nothing, evaluates Jsonnet in process and watches no memory.
type engine struct {
	mods   *moduleCache
	worker *worker
	mem    *memWatch
}

func render(ctx context.Context, in Input, e engine) (result, error) {
	in.Limits = in.Limits.withDefaults()
	if in.Kind == "" {
		in.Kind = wire.ScriptKind(in.Name)
	}
	ctx, cancel := context.WithTimeout(ctx, in.Limits.Timeout)
	defer cancel()
	switch in.Kind {
	case KindStarlark:
		return runStarlark(ctx, in, e)
	case KindJsonnet:
		return runJsonnet(ctx, in, e)
	}
	return result{}, httperr.New(httperr.Invalid, "%s: cannot convert a %q file: only starlark and jsonnet", in.Name, in.Kind)
}

// scriptError is an error in the script, shown to the user as is.
func scriptError(format string, args ...any) *httperr.Error {
	return httperr.New(httperr.Unprocessable, format, args...)
}

// timeoutError explains a conversion stopped by its context.
func timeoutError(ctx context.Context, name string, limit time.Duration) *httperr.Error {
	if ctx.Err() == context.DeadlineExceeded {
		return scriptError("%s: the conversion ran longer than %v (HANGAR_CONVERT_TIMEOUT) and was stopped", name, limit)
	}
	return httperr.New(httperr.Unavailable, "%s: the conversion was cancelled: %v", name, context.Cause(ctx))
}

func sizeError(name string, limit int) *httperr.Error {
	return scriptError("%s: the pipeline is larger than %d bytes (DRONE_STARLARK_SIZE_LIMIT)", name, limit)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
