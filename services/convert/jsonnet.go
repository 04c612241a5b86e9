package convert

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/google/go-jsonnet"
	"go.starlark.net/starlark"

	"github.com/hangar-ci/hangar/shared/httperr"
)

// jsonnetMaxStack bounds Jsonnet's call depth, as Drone's converter does.
const jsonnetMaxStack = 500

// runJsonnet evaluates a Jsonnet pipeline with Drone's external variables:
// an object is one pipeline, an array a stream of them.
//
// go-jsonnet cannot be interrupted, so the evaluation runs in its own
// goroutine: at the deadline the request gets its error and the goroutine
// is left to finish (stack depth and the module limits bound it).
func runJsonnet(ctx context.Context, in Input, mods *moduleCache) (result, error) {
	imp := &importer{files: newFiles(ctx, &in, mods), name: in.Name}
	vm := jsonnet.MakeVM()
	vm.MaxStack = jsonnetMaxStack
	vm.Importer(imp)
	setExtVars(vm, in)
	type answer struct {
		out string
		err error
	}
	done := make(chan answer, 1)
	go func() {
		out, err := vm.EvaluateAnonymousSnippet(in.Name, string(in.Script))
		done <- answer{out, err}
	}()
	var a answer
	select {
	case a = <-done:
	case <-ctx.Done():
		imp.abandon()
		return result{}, timeoutError(ctx, in.Name, in.Limits.Timeout)
	}
	if a.err != nil {
		var he *httperr.Error
		if imp.failed(&he) {
			return result{}, he
		}
		return result{}, scriptError("%s", strings.TrimRight(a.err.Error(), "\n"))
	}
	if len(a.out) > 4*in.Limits.Size {
		return result{}, sizeError(in.Name, in.Limits.Size) // JSON is far larger than the YAML it makes only with indentation
	}
	dec := json.NewDecoder(strings.NewReader(a.out))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return result{}, httperr.Wrap(httperr.Internal, err, "%s: jsonnet produced unreadable JSON", in.Name)
	}
	var docs []any
	switch v := v.(type) {
	case map[string]any:
		docs = []any{v}
	case []any:
		for i, d := range v {
			if _, ok := d.(map[string]any); !ok {
				return result{}, scriptError("%s: the array's item %d is not an object; want one object per pipeline", in.Name, i)
			}
		}
		docs = v
	default:
		return result{}, scriptError("%s: the script evaluates to %s; want an object (one pipeline) or an array of objects", in.Name, jsonKind(v))
	}
	vals := make([]starlark.Value, len(docs))
	for i, d := range docs {
		vals[i] = toStarlark(d)
	}
	y, err := writeDocs(in.Name, vals, in.Limits.Size)
	if err != nil {
		return result{}, err
	}
	imp.mu.Lock()
	defer imp.mu.Unlock()
	return result{yaml: y, deps: imp.deps, cacheable: imp.cacheable}, nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case string:
		return "a string"
	}
	return "a value"
}

// setExtVars gives the script Drone's external variables: build.<field>,
// build.param.<name>, repo.<field> and input.<name>.
func setExtVars(vm *jsonnet.VM, in Input) {
	set := func(prefix string, fs []field) {
		for _, f := range fs {
			if f.bool {
				vm.ExtCode(prefix+f.name, boolCode(f.flag))
			} else {
				vm.ExtVar(prefix+f.name, f.str)
			}
		}
	}
	set("build.", buildFields(in.Build))
	set("repo.", repoFields(in.Repo))
	for k, v := range in.Build.Params {
		vm.ExtVar("build.param."+k, v)
	}
	for _, k := range slices.Sorted(maps.Keys(in.Params)) {
		if s, ok := in.Params[k].(string); ok {
			vm.ExtVar("input."+k, s)
			continue
		}
		b, _ := json.Marshal(in.Params[k])
		vm.ExtCode("input."+k, string(b))
	}
}

func boolCode(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// importer confines imports to the config repository's library: the
// script's own imports resolve against _hangar/lib/, a library file's
// relative imports against its folder, and "@hangar//x" is accepted too.
type importer struct {
	*files
	name string
	mu   sync.Mutex // the VM goroutine may outlive the request
	gone bool
	err  *httperr.Error
}

func (im *importer) Import(importedFrom, importedPath string) (jsonnet.Contents, string, error) {
	im.mu.Lock()
	defer im.mu.Unlock()
	if im.gone {
		return jsonnet.Contents{}, "", context.Canceled
	}
	from := modRef{rootLib, "main.jsonnet"}
	if strings.HasPrefix(importedFrom, "@hangar//") {
		from.path = strings.TrimPrefix(importedFrom, "@hangar//")
	}
	spec := importedPath
	if strings.HasPrefix(spec, "//") {
		return jsonnet.Contents{}, "", im.fail(scriptError("%q: Jsonnet imports read the config repository's library only (%s/)", spec, LibDir))
	}
	ref, err := resolve(from, spec)
	if err == nil && ref.root != rootLib {
		err = scriptError("%q: Jsonnet imports read the config repository's library only (%s/)", spec, LibDir)
	}
	if err != nil {
		return jsonnet.Contents{}, "", im.fail(err)
	}
	b, err := im.read(ref)
	if err != nil {
		return jsonnet.Contents{}, "", im.fail(err)
	}
	return jsonnet.MakeContentsRaw(b), ref.display(), nil
}

// fail remembers a backend failure so it keeps its 503; script errors are
// reported through Jsonnet's own message, which carries the position.
func (im *importer) fail(err error) error {
	if he, ok := err.(*httperr.Error); ok && he.Code == httperr.Unavailable && im.err == nil {
		im.err = he
	}
	return err
}

func (im *importer) failed(out **httperr.Error) bool {
	im.mu.Lock()
	defer im.mu.Unlock()
	*out = im.err
	return im.err != nil
}

// abandon stops further imports of an evaluation that timed out.
func (im *importer) abandon() {
	im.mu.Lock()
	defer im.mu.Unlock()
	im.gone = true
}
