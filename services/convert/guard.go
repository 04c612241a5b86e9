package convert

import (
	"fmt"

	"go.starlark.net/lib/json"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
	"go.starlark.net/syntax"
)

// Starlark's own allocation cap is 2^30 elements per operation, so
// [0] * 10**8 or s + s on a large string allocates gigabytes in a single
// step, before any step limit can act. guardFile rewrites every x * y and
// x + y (and x *= y on a name) into calls of the builtins below, which
// refuse results longer than the step limit (sequences; no script could
// iterate over more) or four times the output limit (strings). Numbers
// are unaffected. Growth by other means (str.replace, "%s%s" % (s, s), …)
// is stopped by the memory watch.

const (
	mulName = "_hangar_mul"
	addName = "_hangar_add"
)

// maxSeqElems caps sequences built in one step even when the step limit
// is off (64 MiB of list).
const maxSeqElems = 1 << 22

// seqLimit is the longest sequence one operation may build.
func seqLimit(l Limits) int { return int(min(l.Steps, maxSeqElems)) }

// guards returns the checked * and + for the given limits.
func guards(l Limits) starlark.StringDict {
	maxElems, maxBytes := seqLimit(l), 4*l.Size
	check := func(op string, v starlark.Value) error {
		switch v := v.(type) {
		case starlark.String:
			if len(v) > maxBytes {
				return fmt.Errorf("%s makes a string of %d bytes, over 4× the output limit (%d bytes, DRONE_STARLARK_SIZE_LIMIT)", op, len(v), l.Size)
			}
		case starlark.Bytes:
			if len(v) > maxBytes {
				return fmt.Errorf("%s makes bytes of length %d, over 4× the output limit (%d bytes, DRONE_STARLARK_SIZE_LIMIT)", op, len(v), l.Size)
			}
		case starlark.Sequence:
			if v.Len() > maxElems {
				return fmt.Errorf("%s makes a %s of %d elements, more than the step limit (%d, DRONE_STARLARK_STEP_LIMIT)", op, v.Type(), v.Len(), l.Steps)
			}
		}
		return nil
	}
	mul := func(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		x, y := args[0], args[1]
		if err := checkIntProduct(x, y); err != nil {
			return nil, err
		}
		seq, n := x, y
		if _, ok := x.(starlark.Int); ok {
			seq, n = y, x
		}
		if count, ok := n.(starlark.Int); ok {
			var l, limit int
			what := "elements"
			switch s := seq.(type) {
			case starlark.String:
				l, limit, what = len(s), maxBytes, "bytes"
			case starlark.Bytes:
				l, limit, what = len(s), maxBytes, "bytes"
			case starlark.Sequence:
				l, limit = s.Len(), maxElems
			}
			// A count too large for int64 is left to Starlark's own refusal.
			if times, ok := count.Int64(); ok && l > 0 && times > int64(limit/l) {
				return nil, fmt.Errorf("repeating a %s of %d %s %d times makes more than %d %s (%s)", seq.Type(), l, what, times, limit, what, limitName(what))
			}
		}
		v, err := starlark.Binary(syntax.STAR, x, y)
		if err != nil {
			return nil, err
		}
		return v, checkMemory(t, v)
	}
	add := func(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		v, err := starlark.Binary(syntax.PLUS, args[0], args[1])
		if err != nil {
			return nil, err
		}
		if err := check("+", v); err != nil {
			return nil, err
		}
		return v, checkMemory(t, v)
	}
	return starlark.StringDict{mulName: starlark.NewBuiltin("*", mul), addName: starlark.NewBuiltin("+", add)}
}

// maxIntBits bounds a product of integers: repeated squaring doubles the
// size each step, and one multiplication of huge numbers cannot be
// interrupted.
const maxIntBits = 1 << 16

func checkIntProduct(x, y starlark.Value) error {
	a, ok1 := x.(starlark.Int)
	b, ok2 := y.(starlark.Int)
	if !ok1 || !ok2 {
		return nil
	}
	if i, ok := a.Int64(); ok && i > -1<<31 && i < 1<<31 {
		if j, ok := b.Int64(); ok && j > -1<<31 && j < 1<<31 {
			return nil // the common case, without allocating
		}
	}
	if bits := a.BigInt().BitLen() + b.BigInt().BitLen(); bits > maxIntBits {
		return fmt.Errorf("the product would have about %d bits, more than %d", bits, maxIntBits)
	}
	return nil
}

func limitName(what string) string {
	if what == "bytes" {
		return "4× DRONE_STARLARK_SIZE_LIMIT"
	}
	return "DRONE_STARLARK_STEP_LIMIT"
}

// guardFile rewrites the file's * and + into guarded calls.
func guardFile(f *syntax.File) {
	guardStmts(f.Stmts)
}

func guardStmts(stmts []syntax.Stmt) {
	for _, s := range stmts {
		switch s := s.(type) {
		case *syntax.AssignStmt:
			s.LHS = guardExpr(s.LHS)
			s.RHS = guardExpr(s.RHS)
			if id, ok := s.LHS.(*syntax.Ident); ok {
				switch s.Op {
				case syntax.STAR_EQ:
					s.Op = syntax.EQ
					s.RHS = call(mulName, s.OpPos, &syntax.Ident{NamePos: id.NamePos, Name: id.Name}, s.RHS)
				case syntax.PERCENT_EQ:
					s.Op = syntax.EQ
					s.RHS = call(modName, s.OpPos, &syntax.Ident{NamePos: id.NamePos, Name: id.Name}, s.RHS)
				}
			}
		case *syntax.DefStmt:
			guardList(s.Params)
			guardStmts(s.Body)
		case *syntax.ExprStmt:
			s.X = guardExpr(s.X)
		case *syntax.IfStmt:
			s.Cond = guardExpr(s.Cond)
			guardStmts(s.True)
			guardStmts(s.False)
		case *syntax.ForStmt:
			s.X = guardExpr(s.X)
			guardStmts(s.Body)
		case *syntax.WhileStmt:
			s.Cond = guardExpr(s.Cond)
			guardStmts(s.Body)
		case *syntax.ReturnStmt:
			s.Result = guardExpr(s.Result)
		}
	}
}

func guardList(es []syntax.Expr) {
	for i := range es {
		es[i] = guardExpr(es[i])
	}
}

func call(name string, pos syntax.Position, x, y syntax.Expr) syntax.Expr {
	return &syntax.CallExpr{Fn: &syntax.Ident{NamePos: pos, Name: name}, Lparen: pos, Args: []syntax.Expr{x, y}, Rparen: pos}
}

func guardExpr(e syntax.Expr) syntax.Expr {
	switch e := e.(type) {
	case nil:
		return nil
	case *syntax.BinaryExpr:
		e.X, e.Y = guardExpr(e.X), guardExpr(e.Y)
		switch e.Op {
		case syntax.STAR:
			return call(mulName, e.OpPos, e.X, e.Y)
		case syntax.PLUS:
			return call(addName, e.OpPos, e.X, e.Y)
		case syntax.PERCENT:
			return call(modName, e.OpPos, e.X, e.Y)
		}
	case *syntax.UnaryExpr:
		e.X = guardExpr(e.X)
	case *syntax.ParenExpr:
		e.X = guardExpr(e.X)
	case *syntax.CallExpr:
		e.Fn = guardExpr(e.Fn)
		guardList(e.Args)
		if d, ok := e.Fn.(*syntax.DotExpr); ok && checkedMethods[d.Name.Name] {
			// x.join(a) → _hangar_method_join(x, a)
			args := append([]syntax.Expr{d.X}, e.Args...)
			return &syntax.CallExpr{Fn: &syntax.Ident{NamePos: d.Dot, Name: methodPrefix + d.Name.Name}, Lparen: e.Lparen, Args: args, Rparen: e.Rparen}
		}
	case *syntax.DotExpr:
		e.X = guardExpr(e.X)
	case *syntax.IndexExpr:
		e.X, e.Y = guardExpr(e.X), guardExpr(e.Y)
	case *syntax.SliceExpr:
		e.X, e.Lo, e.Hi, e.Step = guardExpr(e.X), guardExpr(e.Lo), guardExpr(e.Hi), guardExpr(e.Step)
	case *syntax.ListExpr:
		guardList(e.List)
	case *syntax.TupleExpr:
		guardList(e.List)
	case *syntax.DictExpr:
		guardList(e.List)
	case *syntax.DictEntry:
		e.Key, e.Value = guardExpr(e.Key), guardExpr(e.Value)
	case *syntax.CondExpr:
		e.Cond, e.True, e.False = guardExpr(e.Cond), guardExpr(e.True), guardExpr(e.False)
	case *syntax.LambdaExpr:
		guardList(e.Params)
		e.Body = guardExpr(e.Body)
	case *syntax.Comprehension:
		e.Body = guardExpr(e.Body)
		for _, c := range e.Clauses {
			switch c := c.(type) {
			case *syntax.ForClause:
				c.X = guardExpr(c.X)
			case *syntax.IfClause:
				c.Cond = guardExpr(c.Cond)
			}
		}
	}
	return e
}

// maxJSONDepth bounds the nesting json.decode accepts: it recurses once
// per level, and "[" * 3000000 would overflow the Go stack, which kills
// the process.
const maxJSONDepth = 1000

// maxJSONText bounds json.encode's output. The module is shared by every
// conversion, so this is the output ceiling rather than the configured
// limit.
const maxJSONText = 4 * MaxSizeLimit

// jsonModule is Starlark's json module with a decode that refuses deep
// nesting before recursing.
var jsonModule = func() *starlarkstruct.Module {
	members := make(starlark.StringDict, len(json.Module.Members))
	for k, v := range json.Module.Members {
		members[k] = v
	}
	encode := json.Module.Members["encode"].(*starlark.Builtin)
	members["encode"] = starlark.NewBuiltin("json.encode", func(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		if len(args) > 0 && !fitsText(args[0], maxJSONText) {
			return nil, fmt.Errorf("the JSON would be more than %d bytes", maxJSONText)
		}
		return encode.CallInternal(t, args, kwargs)
	})
	decode := json.Module.Members["decode"].(*starlark.Builtin)
	members["decode"] = starlark.NewBuiltin("json.decode", func(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		if len(args) > 0 {
			if s, ok := args[0].(starlark.String); ok && jsonDepth(string(s)) > maxJSONDepth {
				return nil, fmt.Errorf("nested deeper than %d levels", maxJSONDepth)
			}
		}
		return decode.CallInternal(t, args, kwargs)
	})
	return &starlarkstruct.Module{Name: "json", Members: members}
}()

// jsonDepth returns the deepest nesting of arrays and objects in s,
// outside strings.
func jsonDepth(s string) int {
	depth, deepest, inString := 0, 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case inString:
		case c == '[' || c == '{':
			if depth++; depth > deepest {
				deepest = depth
			}
		case c == ']' || c == '}':
			depth--
		}
	}
	return deepest
}
