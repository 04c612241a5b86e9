package validate

import (
	"context"
	"fmt"

	"cel.dev/cel-go/cel"
)

// Scopes at which a CEL rule is evaluated: once per build, once per
// pipeline, or once per step and service.
const (
	scopeBuild = iota
	scopePipeline
	scopeStep
)

// celCostLimit bounds one evaluation, so a rule cannot loop a request
// away (comprehensions over large lists).
const celCostLimit = 1_000_000

// celRule is a compiled CEL expression and the narrowest scope it needs.
type celRule struct {
	prg   cel.Program
	scope int
}

var celEnvs = func() [3]*cel.Env {
	obj := cel.MapType(cel.StringType, cel.DynType)
	vars := []cel.EnvOption{cel.Variable("build", obj), cel.Variable("repo", obj)}
	var envs [3]*cel.Env
	for scope, extra := range [][]cel.EnvOption{
		nil,
		{cel.Variable("pipeline", obj)},
		{cel.Variable("pipeline", obj), cel.Variable("step", obj)},
	} {
		env, err := cel.NewEnv(append(append([]cel.EnvOption{}, vars...), extra...)...)
		if err != nil {
			panic(err) // static declarations: a failure is a programming error
		}
		envs[scope] = env
	}
	return envs
}()

// compileCEL compiles expr in the narrowest environment that declares
// every variable it uses: an expression over build and repo runs once per
// build, one that uses pipeline once per pipeline, one that uses step for
// every step and service.
func compileCEL(expr string) (*celRule, error) {
	var lastErr error
	for scope, env := range celEnvs {
		ast, iss := env.Compile(expr)
		if iss.Err() != nil {
			lastErr = iss.Err()
			continue
		}
		if ast.OutputType() != cel.BoolType {
			return nil, fmt.Errorf("must be a bool expression, is %s", ast.OutputType())
		}
		prg, err := env.Program(ast, cel.CostLimit(celCostLimit))
		if err != nil {
			return nil, err
		}
		return &celRule{prg: prg, scope: scope}, nil
	}
	return nil, lastErr
}

// eval reports whether the expression is true for vars. The cost limit
// bounds one evaluation; the request's context is checked between them
// (a context per evaluation costs more than most rules do).
func (c *celRule) eval(ctx context.Context, vars map[string]any) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	out, _, err := c.prg.Eval(vars)
	if err != nil {
		return false, err
	}
	b, ok := out.Value().(bool)
	if !ok {
		return false, fmt.Errorf("result %v is not a bool", out)
	}
	return b, nil
}
