package convert

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
	"go.starlark.net/syntax"

	"github.com/hangar-ci/hangar/shared/httperr"
)

// runStarlark runs main(ctx) of a Starlark script, as Drone's converter
// does, and writes the pipelines it returns.
func runStarlark(ctx context.Context, in Input, e engine) (result, error) {
	mods := e.mods
	l := &starLoader{
		files:   newFiles(ctx, &in, mods),
		byFile:  map[string]modRef{},
		modules: map[modRef]*module{},
	}
	l.predeclared = predeclared(in.Limits)
	var stepsOut atomic.Bool
	thread := &starlark.Thread{
		Name:  "convert " + in.Name,
		Load:  l.load,
		Print: func(*starlark.Thread, string) {}, // print() is for local debugging only
		OnMaxSteps: func(t *starlark.Thread) {
			stepsOut.Store(true)
			t.Cancel("too many steps")
		},
	}
	thread.SetMaxExecutionSteps(in.Limits.Steps)
	stop := context.AfterFunc(ctx, func() { thread.Cancel("timeout") })
	defer stop()
	var memOut atomic.Bool
	defer e.mem.track(thread, &memOut)()
	if e.mem != nil {
		thread.SetLocal(memLocal, &memCheck{w: e.mem, hit: &memOut})
	}

	fail := func(err error) (result, error) {
		switch {
		case memOut.Load():
			return result{}, scriptError("%s: the conversion was stopped because the process's memory reached its limit (HANGAR_CONVERT_MEMORY_LIMIT=%d bytes, stopping at %d to leave room for every running conversion)%s", in.Name, e.mem.limit, e.mem.threshold, where(err))
		case stepsOut.Load():
			return result{}, scriptError("%s: the script ran more than %d execution steps (DRONE_STARLARK_STEP_LIMIT)%s", in.Name, in.Limits.Steps, where(err))
		case ctx.Err() != nil:
			return result{}, timeoutError(ctx, in.Name, in.Limits.Timeout)
		}
		return result{}, starlarkError(err)
	}

	self := modRef{rootRepo, strings.TrimPrefix(in.Name, "/")}
	if in.Central {
		self.root = rootCentral
	}
	l.byFile[in.Name] = self
	l.modules[self] = &module{loading: true}
	l.stack = []string{in.Name}
	prog, err := mods.compile(in.Name, in.Script, l.predeclared.Has)
	if err != nil {
		return fail(err)
	}
	globals, err := prog.Init(thread, l.predeclared)
	if err != nil {
		return fail(err)
	}
	mainVal, ok := globals["main"]
	if !ok {
		return result{}, scriptError("%s: no main function: define def main(ctx) returning a pipeline (a dict) or a list of them", in.Name)
	}
	mainFn, ok := mainVal.(starlark.Callable)
	if !ok {
		return result{}, scriptError("%s: main is a %s, not a function: define def main(ctx)", in.Name, mainVal.Type())
	}
	out, err := starlark.Call(thread, mainFn, starlark.Tuple{contextValue(in)}, nil)
	if err != nil {
		return fail(err)
	}
	docs, err := documents(in.Name, out)
	if err != nil {
		return result{}, err
	}
	y, err := writeDocs(in.Name, docs, in.Limits.Size)
	if err != nil {
		return result{}, err
	}
	return result{yaml: y, deps: l.deps, cacheable: l.cacheable, steps: thread.ExecutionSteps()}, nil
}

// documents checks what main returned: one pipeline dict or a list of them.
func documents(name string, v starlark.Value) ([]starlark.Value, error) {
	switch v := v.(type) {
	case *starlark.Dict:
		return []starlark.Value{v}, nil
	case *starlark.List:
		if v.Len() == 0 {
			// Drone would take the empty answer as "no conversion" and run
			// the script's source as YAML.
			return nil, scriptError("%s: main returned an empty list: no pipeline to run", name)
		}
		docs := make([]starlark.Value, v.Len())
		for i := range docs {
			d := v.Index(i)
			if _, ok := d.(*starlark.Dict); !ok {
				return nil, scriptError("%s: main returned a list whose item %d is a %s; want a dict per pipeline", name, i, d.Type())
			}
			docs[i] = d
		}
		return docs, nil
	}
	return nil, scriptError("%s: main returned a %s; want a dict (one pipeline) or a list of dicts", name, v.Type())
}

// starlarkError turns a syntax, resolve or evaluation error into the text
// Drone shows as the build error: positions as file:line:col, evaluation
// errors with their backtrace. A backend failure behind a load keeps its
// code (503) and message.
func starlarkError(err error) error {
	var he *httperr.Error
	if errors.As(err, &he) && he.Code == httperr.Unavailable {
		return he
	}
	var ee *starlark.EvalError
	var se syntax.Error
	switch {
	case errors.As(err, &ee):
		return scriptError("%s", ee.Backtrace())
	case errors.As(err, &se):
		return scriptError("syntax error: %s", se.Error())
	}
	return scriptError("%v", err)
}

// where names the innermost script position of an evaluation error.
func where(err error) string {
	var ee *starlark.EvalError
	if !errors.As(err, &ee) {
		return ""
	}
	for i := len(ee.CallStack) - 1; i >= 0; i-- {
		if fr := ee.CallStack[i]; fr.Pos.Filename() != "<builtin>" {
			return fmt.Sprintf(", stopped at %s in %s", fr.Pos, fr.Name)
		}
	}
	return ""
}

// maxLoadDepth bounds how deep loads nest, whatever the module limit.
const maxLoadDepth = 100

// starLoader loads modules for one run, each once, refusing cycles.
type starLoader struct {
	*files
	predeclared starlark.StringDict
	byFile      map[string]modRef // compiled file name → module
	modules     map[modRef]*module
	stack       []string // modules being initialised, outermost first
}

type module struct {
	globals starlark.StringDict
	err     error
	loading bool
}

func (l *starLoader) load(thread *starlark.Thread, spec string) (starlark.StringDict, error) {
	from := l.byFile[thread.CallFrame(0).Pos.Filename()]
	ref, err := resolve(from, spec)
	if err != nil {
		return nil, err
	}
	if !strings.HasSuffix(ref.path, ".star") && !strings.HasSuffix(ref.path, ".starlark") {
		return nil, scriptError("%q: a Starlark module must end in .star", spec)
	}
	if m, ok := l.modules[ref]; ok {
		if m.loading {
			return nil, scriptError("load cycle: %s → %s", strings.Join(l.stack, " → "), ref.display())
		}
		return m.globals, m.err
	}
	if len(l.stack) > maxLoadDepth {
		// Each level is Go stack; a raised module limit must not let a
		// chain of loads overflow it, which no recover can catch.
		return nil, scriptError("loads nested deeper than %d modules", maxLoadDepth)
	}
	src, err := l.read(ref)
	if err != nil {
		return nil, err
	}
	m := &module{loading: true}
	l.modules[ref] = m
	name := ref.display()
	l.byFile[name] = ref
	l.stack = append(l.stack, name)
	defer func() { l.stack = l.stack[:len(l.stack)-1]; m.loading = false }()
	prog, err := l.mods.compile(name, src, l.predeclared.Has)
	if err != nil {
		m.err = err
		return nil, err
	}
	m.globals, m.err = prog.Init(thread, l.predeclared)
	m.globals.Freeze()
	return m.globals, m.err
}

// predeclared are the names every script and module sees besides
// Starlark's universe: json and struct, and a range that refuses more
// elements than the step limit, since no script could iterate over them
// and list(range(10**8)) would allocate gigabytes in one step.
func predeclared(l Limits) starlark.StringDict {
	orig := starlark.Universe["range"].(*starlark.Builtin)
	steps, maxLen := l.Steps, seqLimit(l)
	d := guards(l)
	for k, v := range flatteners(4 * l.Size) {
		d[k] = v
	}
	for k, v := range (starlark.StringDict{
		"json":   jsonModule,
		"struct": starlark.NewBuiltin("struct", starlarkstruct.Make),
		"range": starlark.NewBuiltin("range", func(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			v, err := orig.CallInternal(t, args, kwargs)
			if err != nil {
				return nil, err
			}
			if n := starlark.Len(v); n > maxLen {
				return nil, fmt.Errorf("range of %d elements is longer than the step limit (%d, DRONE_STARLARK_STEP_LIMIT; at most %d)", n, steps, maxSeqElems)
			}
			return v, nil
		}),
	}) {
		d[k] = v
	}
	return d
}
