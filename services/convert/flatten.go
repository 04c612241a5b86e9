package convert

import (
	"fmt"
	"strconv"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
	"go.starlark.net/syntax"
)

// A list can hold the same 4 MB string fifty thousand times for the cost
// of the list; printing or joining it writes 200 GB in one builtin call,
// which neither the step limit nor the clock can interrupt. The builtins
// and methods that flatten values into text are therefore checked first
// against four times the output limit: str, repr, fail, json.encode, the
// % operator, and the string methods join, format and replace (calls of
// x.join(…), x.format(…) and x.replace(…) are rewritten to methodPrefix+name,
// which checks string receivers and calls the method itself). print does
// nothing, as its output is discarded anyway.

const (
	methodPrefix = "_hangar_method_" // + the method's name
	modName      = "_hangar_mod"
)

// checkedMethods are the string methods whose output can dwarf their input.
var checkedMethods = map[string]bool{"join": true, "format": true, "replace": true}

// fitsText reports whether v written as text (repr) stays within budget
// bytes. It stops as soon as it does not, so its cost is bounded by the
// budget, not by the data, however aliased.
func fitsText(v starlark.Value, budget int) bool {
	stack := []starlark.Value{v}
	push := func(x starlark.Value) bool {
		if budget -= 2; budget < 0 {
			return false
		}
		stack = append(stack, x)
		return true
	}
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		switch x := x.(type) {
		case starlark.String:
			budget -= len(x) + 2
		case starlark.Bytes:
			budget -= 4*len(x) + 3
		case starlark.Int:
			if i, ok := x.Int64(); ok {
				budget -= len(strconv.FormatInt(i, 10))
			} else {
				budget -= x.BigInt().BitLen()/3 + 1
			}
		case starlark.Indexable: // lists, tuples
			budget -= 2
			for i := range x.Len() {
				if !push(x.Index(i)) {
					return false
				}
			}
		case *starlark.Dict:
			budget -= 2
			for _, kv := range x.Items() {
				if !push(kv[0]) || !push(kv[1]) {
					return false
				}
			}
		case *starlarkstruct.Struct:
			budget -= 8
			for _, k := range x.AttrNames() {
				a, _ := x.Attr(k)
				budget -= len(k)
				if !push(a) {
					return false
				}
			}
		case starlark.Iterable: // sets
			iter := x.Iterate()
			var e starlark.Value
			for iter.Next(&e) {
				if !push(e) {
					iter.Done()
					return false
				}
			}
			iter.Done()
		default:
			budget -= 32
		}
		if budget < 0 {
			return false
		}
	}
	return true
}

func tooMuchText(what string, limit int) error {
	return fmt.Errorf("%s would write more than %d bytes (4× DRONE_STARLARK_SIZE_LIMIT)", what, limit)
}

// flatteners returns the checked builtins for a text limit of maxBytes.
func flatteners(maxBytes int) starlark.StringDict {
	wrap := func(name string, check func(args starlark.Tuple, kwargs []starlark.Tuple) error) *starlark.Builtin {
		orig := starlark.Universe[name].(*starlark.Builtin)
		return starlark.NewBuiltin(name, func(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			if err := check(args, kwargs); err != nil {
				return nil, err
			}
			return orig.CallInternal(t, args, kwargs)
		})
	}
	allFit := func(what string) func(args starlark.Tuple, kwargs []starlark.Tuple) error {
		return func(args starlark.Tuple, _ []starlark.Tuple) error {
			for _, a := range args {
				if _, isStr := a.(starlark.String); !isStr && !fitsText(a, maxBytes) {
					return tooMuchText(what, maxBytes)
				}
			}
			return nil
		}
	}
	method := func(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		recv, name := args[0], b.Name()
		rest := args[1:]
		if s, ok := recv.(starlark.String); ok {
			if err := checkStringMethod(string(s), name, rest, kwargs, maxBytes); err != nil {
				return nil, err
			}
		}
		has, ok := recv.(starlark.HasAttrs)
		if !ok {
			return nil, fmt.Errorf("%s has no .%s field or method", recv.Type(), name)
		}
		m, err := has.Attr(name)
		if err != nil {
			return nil, err
		}
		if m == nil {
			return nil, fmt.Errorf("%s has no .%s field or method", recv.Type(), name)
		}
		v, err := starlark.Call(t, m, rest, kwargs)
		if err != nil {
			return nil, err
		}
		return v, checkMemory(t, v)
	}
	mod := func(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		x, y := args[0], args[1]
		if s, ok := x.(starlark.String); ok {
			n := max(strings.Count(string(s), "%"), 1)
			if !fitsText(y, maxBytes/n) {
				return nil, tooMuchText("%", maxBytes)
			}
		}
		v, err := starlark.Binary(syntax.PERCENT, x, y)
		if err != nil {
			return nil, err
		}
		return v, checkMemory(t, v)
	}
	d := starlark.StringDict{
		"str":  wrap("str", allFit("str")),
		"repr": wrap("repr", allFit("repr")),
		"fail": wrap("fail", allFit("fail")),
		"print": starlark.NewBuiltin("print", func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
			return starlark.None, nil
		}),
		modName: starlark.NewBuiltin("%", mod),
	}
	for name := range checkedMethods {
		d[methodPrefix+name] = starlark.NewBuiltin(name, method)
	}
	return d
}

// checkStringMethod predicts the size of s.join/format/replace(args).
func checkStringMethod(s, name string, args starlark.Tuple, kwargs []starlark.Tuple, maxBytes int) error {
	switch name {
	case "join":
		if len(args) != 1 {
			return nil // the method reports the mistake
		}
		it, ok := args[0].(starlark.Iterable)
		if !ok {
			return nil
		}
		iter := it.Iterate()
		defer iter.Done()
		total := 0
		var e starlark.Value
		for iter.Next(&e) {
			if es, ok := e.(starlark.String); ok {
				total += len(es)
			}
			if total += len(s); total > maxBytes {
				return tooMuchText("the joined string", maxBytes)
			}
		}
	case "replace":
		if len(args) < 2 {
			return nil
		}
		old, ok1 := args[0].(starlark.String)
		repl, ok2 := args[1].(starlark.String)
		if !ok1 || !ok2 || len(repl) <= len(old) {
			return nil
		}
		n := len(s) + 1
		if old != "" {
			n = strings.Count(s, string(old))
		}
		if len(args) > 2 {
			if c, ok := args[2].(starlark.Int); ok {
				if ci, ok := c.Int64(); ok && ci >= 0 && int(ci) < n {
					n = int(ci)
				}
			}
		}
		if len(s)+n*(len(repl)-len(old)) > maxBytes {
			return tooMuchText("the replaced string", maxBytes)
		}
	case "format":
		n := max(strings.Count(s, "{"), 1)
		for _, a := range args {
			if !fitsText(a, maxBytes/n) {
				return tooMuchText("the formatted string", maxBytes)
			}
		}
		for _, kv := range kwargs {
			if !fitsText(kv[1], maxBytes/n) {
				return tooMuchText("the formatted string", maxBytes)
			}
		}
	}
	return nil
}
