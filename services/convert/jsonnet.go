package convert

import (
	"context"
	"encoding/json"
	"errors"
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
// go-jsonnet cannot be interrupted. With a worker (the service's case) the
// evaluation runs in a child process that is killed at the deadline or
// when it passes its memory limit; without one (Render, the CLI) it runs
// in a goroutine that is abandoned at the deadline.
func runJsonnet(ctx context.Context, in Input, e engine) (result, error) {
	imp := &importer{files: newFiles(ctx, &in, e.mods)}
	vars, code := extVars(in)
	var a answer
	if e.worker != nil {
		a = e.worker.eval(ctx, job{Name: in.Name, Script: string(in.Script), Vars: vars, Code: code}, in.Limits.Size, imp.lookup)
	} else {
		a = evalInProcess(ctx, in.Name, string(in.Script), vars, code, imp)
	}
	if a.timeout {
		return result{}, timeoutError(ctx, in.Name, in.Limits.Timeout)
	}
	if a.err != nil {
		var he *httperr.Error
		if imp.failed(&he) {
			return result{}, he
		}
		if errors.As(a.err, &he) {
			return result{}, he
		}
		msg := strings.TrimRight(a.err.Error(), "\n")
		if i := strings.Index(msg, "\ngoroutine "); i >= 0 {
			msg = msg[:i] // an evaluator crash: its Go stack helps nobody
		}
		return result{}, scriptError("%s", msg)
	}
	if len(a.out) > 4*in.Limits.Size {
		// The YAML is never much smaller than the JSON it comes from.
		return result{}, sizeError(in.Name, in.Limits.Size)
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
		if len(v) == 0 {
			return result{}, scriptError("%s: the script evaluates to an empty array: no pipeline to run", in.Name)
		}
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

// extVars are Drone's external variables: build.<field>,
// build.param.<name>, repo.<field> and input.<name>, as strings (vars) or
// Jsonnet code (code: booleans and non-string inputs).
func extVars(in Input) (vars, code map[string]string) {
	vars, code = map[string]string{}, map[string]string{}
	set := func(prefix string, fs []field) {
		for _, f := range fs {
			if f.bool {
				code[prefix+f.name] = boolCode(f.flag)
			} else {
				vars[prefix+f.name] = f.str
			}
		}
	}
	set("build.", buildFields(in.Build))
	set("repo.", repoFields(in.Repo))
	for k, v := range in.Build.Params {
		vars["build.param."+k] = v
	}
	for k, v := range in.Params {
		if s, ok := v.(string); ok {
			vars["input."+k] = s
			continue
		}
		b, _ := json.Marshal(v)
		code["input."+k] = string(b)
	}
	return vars, code
}

// newVM returns a VM with the limits and variables of a job.
func newVM(vars, code map[string]string, imp jsonnet.Importer) *jsonnet.VM {
	vm := jsonnet.MakeVM()
	vm.MaxStack = jsonnetMaxStack
	vm.Importer(imp)
	for k, v := range vars {
		vm.ExtVar(k, v)
	}
	for k, v := range code {
		vm.ExtCode(k, v)
	}
	return vm
}

// answer is the outcome of one evaluation.
type answer struct {
	out     string
	err     error
	timeout bool
}

func evalInProcess(ctx context.Context, name, script string, vars, code map[string]string, imp *importer) answer {
	vm := newVM(vars, code, &memoImporter{lookup: imp.lookup})
	done := make(chan answer, 1)
	go func() {
		out, err := vm.EvaluateAnonymousSnippet(name, script)
		done <- answer{out: out, err: err}
	}()
	select {
	case a := <-done:
		return a
	case <-ctx.Done():
		imp.abandon()
		return answer{timeout: true}
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
	mu   sync.Mutex // an abandoned evaluation may outlive the request
	seen map[modRef][]byte
	gone bool
	err  *httperr.Error
}

// lookup resolves and reads one import, counting it against the module
// limits once.
func (im *importer) lookup(importedFrom, spec string) ([]byte, string, error) {
	im.mu.Lock()
	defer im.mu.Unlock()
	if im.gone {
		return nil, "", context.Canceled
	}
	from := modRef{rootLib, "main.jsonnet"}
	if strings.HasPrefix(importedFrom, "@hangar//") {
		from.path = strings.TrimPrefix(importedFrom, "@hangar//")
	}
	if strings.HasPrefix(spec, "//") {
		return nil, "", im.fail(scriptError("%q: Jsonnet imports read the config repository's library only (%s/)", spec, LibDir))
	}
	ref, err := resolve(from, spec)
	if err == nil && ref.root != rootLib {
		err = scriptError("%q: Jsonnet imports read the config repository's library only (%s/)", spec, LibDir)
	}
	if err != nil {
		return nil, "", im.fail(err)
	}
	if b, ok := im.seen[ref]; ok {
		return b, ref.display(), nil
	}
	b, err := im.read(ref)
	if err != nil {
		return nil, "", im.fail(err)
	}
	if im.seen == nil {
		im.seen = map[modRef][]byte{}
	}
	im.seen[ref] = b
	return b, ref.display(), nil
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

// memoImporter adapts a lookup to go-jsonnet, which requires the same
// Contents value each time a file is imported.
type memoImporter struct {
	lookup func(from, path string) ([]byte, string, error)
	seen   map[string]jsonnet.Contents
}

func (m *memoImporter) Import(importedFrom, importedPath string) (jsonnet.Contents, string, error) {
	b, foundAt, err := m.lookup(importedFrom, importedPath)
	if err != nil {
		return jsonnet.Contents{}, "", err
	}
	if c, ok := m.seen[foundAt]; ok {
		return c, foundAt, nil
	}
	if m.seen == nil {
		m.seen = map[string]jsonnet.Contents{}
	}
	c := jsonnet.MakeContentsRaw(b)
	m.seen[foundAt] = c
	return c, foundAt, nil
}
