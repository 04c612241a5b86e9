package convert

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/drone/drone-go/drone"

	"github.com/hangar-ci/hangar/shared/servicetest"
)

// hostileConfig is a config repository with module chains and cycles.
func hostileConfig(t testing.TB) map[string]string {
	files := map[string]string{
		"_hangar/lib/cycle/a.star": "load(\"b.star\", \"b\")\na = 1\n",
		"_hangar/lib/cycle/b.star": "load(\"a.star\", \"a\")\nb = 2\n",
		"_hangar/lib/broken.star":  "def x()\n",
		"_hangar/lib/ok.star":      "def pipeline(name):\n    return {\"kind\": \"pipeline\", \"name\": name}\n",
		"_hangar/lib/big.star":     "X = \"" + strings.Repeat("x", 300<<10) + "\"\n",
	}
	// A chain of 200 modules, each loading the next: deep recursion
	// through load.
	for i := range 200 {
		files[fmt.Sprintf("_hangar/lib/chain/m%d.star", i)] = fmt.Sprintf("load(\"m%d.star\", \"v\")\n", i+1)
	}
	files["_hangar/lib/chain/m200.star"] = "v = 1\n"
	// Twenty modules of 300 KiB each: a module bomb by size.
	bomb := ""
	for i := range 20 {
		files[fmt.Sprintf("_hangar/lib/bomb/b%d.star", i)] = "load(\"@hangar//big.star\", \"X\")\nY = \"" + strings.Repeat("y", 300<<10) + "\"\n"
		bomb += fmt.Sprintf("load(\"@hangar//bomb/b%d.star\", b%d = \"Y\")\n", i, i)
	}
	files["_hangar/lib/bomb/all.star"] = bomb
	return files
}

const validScript = `
load("@hangar//ok.star", "pipeline")
def main(ctx):
    return pipeline("still-" + ctx.build.event)
`

func TestHostileScripts(t *testing.T) {
	t.Parallel()
	config, _ := servicetest.Tree(t, hostileConfig(t))
	opts := testOptions()
	opts.Limits = Limits{Timeout: 20 * time.Second}
	s := start(t, opts, config)

	tests := []struct {
		name   string
		script string
		want   string
	}{
		{"infinite loop", "def main(ctx):\n    while True:\n        pass\n", "ran more than 50000 execution steps (DRONE_STARLARK_STEP_LIMIT), stopped at .drone.star:"},
		{"loop over a huge range", "def main(ctx):\n    for i in range(1000000000):\n        pass\n", "range of 1000000000 elements is longer than the step limit"},
		{"10^8-element list", "def main(ctx):\n    return {\"x\": list(range(100000000))}\n", "range of 100000000 elements is longer than the step limit"},
		{"10^8-element comprehension", "def main(ctx):\n    return {\"x\": [i for i in range(100000000)]}\n", "longer than the step limit"},
		{"100 MB string", "def main(ctx):\n    return {\"kind\": \"pipeline\", \"x\": \"a\" * 100000000}\n", "repeating a string of 1 bytes 100000000 times makes more than 4194304 bytes (4× DRONE_STARLARK_SIZE_LIMIT)"},
		{"10^8-element repetition", "def main(ctx):\n    return {\"x\": 100000000 * [0]}\n", "repeating a list of 1 elements 100000000 times makes more than 50000 elements (DRONE_STARLARK_STEP_LIMIT)"},
		{"repetition in place", "def main(ctx):\n    x = [0, 1]\n    x *= 100000000\n    return {}\n", "repeating a list of 2 elements"},
		{"string over the output limit", "def main(ctx):\n    return {\"kind\": \"pipeline\", \"x\": \"a\" * 2000000}\n", "the pipeline is larger than 1048576 bytes (DRONE_STARLARK_SIZE_LIMIT)"},
		{"doubling string", "def main(ctx):\n    s = \"ab\"\n    for i in range(27):\n        s = s + s\n    return {\"x\": s}\n", "+ makes a string of 8388608 bytes, over 4× the output limit"},
		{"many documents", "def main(ctx):\n    return [{\"name\": \"p%d\" % i, \"pad\": \"x\" * 1000} for i in range(2000)]\n", "larger than 1048576 bytes"},
		{"integer squaring", "def main(ctx):\n    x = 1 << 500\n    for i in range(30):\n        x = x * x\n    return {}\n", "Error in *: the product would have about 128002 bits, more than 65536"},
		{"join of aliased strings", "def main(ctx):\n    s = \"x\" * 4000000\n    return {\"x\": \"\".join([s] * 50000)}\n", "Error in join: the joined string would write more than 4194304 bytes"},
		{"str of aliased strings", "def main(ctx):\n    s = \"x\" * 4000000\n    return {\"x\": str([s] * 50000)}\n", "Error in str: str would write more than 4194304 bytes"},
		{"format of aliased strings", "def main(ctx):\n    s = \"x\" * 4000000\n    return {\"x\": \"{}{}\".format([s] * 50000, 1)}\n", "Error in format: the formatted string would write"},
		{"percent of aliased strings", "def main(ctx):\n    s = \"x\" * 4000000\n    return {\"x\": \"%s\" % ([s] * 50000,)}\n", "Error in %: % would write more than"},
		{"fail of aliased strings", "def main(ctx):\n    s = \"x\" * 4000000\n    fail([s] * 50000)\n", "Error in fail: fail would write more than"},
		{"json of aliased strings", "def main(ctx):\n    s = \"x\" * 4000000\n    return {\"x\": json.encode([s] * 50000)}\n", "the JSON would be more than"},
		{"doubling replace", "def main(ctx):\n    s = \"x\" * 100000\n    for i in range(20):\n        s = s.replace(\"x\", \"xx\")\n    return {}\n", "Error in replace: the replaced string would write more than 4194304 bytes"},
		{"deeply nested json", "def main(ctx):\n    return {\"x\": json.decode(\"[\" * 3000000)}\n", "Error in json.decode: nested deeper than 1000 levels"},
		{"deep data", "def main(ctx):\n    x = {}\n    for i in range(1000):\n        x = {\"a\": x}\n    return x\n", "nested deeper than 100 levels"},
		{"self-containing list", "def main(ctx):\n    x = [1]\n    x.append(x)\n    return {\"x\": x}\n", "nested deeper than 100 levels"},
		{"recursion", "def f(n):\n    return f(n + 1)\ndef main(ctx):\n    return f(0)\n", "called recursively"},
		{"deep recursion through load", "load(\"@hangar//chain/m0.star\", \"v\")\ndef main(ctx):\n    return {}\n", "more than 64 modules loaded (HANGAR_CONVERT_MAX_MODULES)"},
		{"module bomb", "load(\"@hangar//bomb/all.star\", \"b0\")\ndef main(ctx):\n    return {}\n", "exceed 4194304 bytes in total (HANGAR_CONVERT_MAX_MODULE_BYTES)"},
		{"load cycle", "load(\"@hangar//cycle/a.star\", \"a\")\ndef main(ctx):\n    return {}\n", "load cycle: .drone.star → @hangar//cycle/a.star → @hangar//cycle/b.star → @hangar//cycle/a.star"},
		{"self load", "load(\"//.drone.star\", \"main\")\n", "load cycle: .drone.star → //.drone.star"},
		{"load from the built repository without SCM", "load(\"//ci/lib.star\", \"x\")\n", "load(\"//…\") needs an SCM client"},
		{"path traversal", "load(\"../../etc/passwd\", \"x\")\ndef main(ctx):\n    return {}\n", "\"../../etc/passwd\": the path leaves its repository"},
		{"library traversal", "load(\"@hangar//../../secrets.yaml\", \"x\")\ndef main(ctx):\n    return {}\n", "the path leaves its repository"},
		{"non-module file", "load(\"@hangar//../policy.yaml\", \"x\")\ndef main(ctx):\n    return {}\n", "leaves its repository"},
		{"unknown repository", "load(\"@evil//x.star\", \"x\")\ndef main(ctx):\n    return {}\n", "unknown repository"},
		{"missing module", "load(\"@hangar//nope.star\", \"x\")\ndef main(ctx):\n    return {}\n", "@hangar//nope.star: no such file in the config repository (_hangar/lib/nope.star)"},
		{"missing name", "load(\"@hangar//ok.star\", \"nope\")\ndef main(ctx):\n    return {}\n", "name nope not found in module @hangar//ok.star"},
		{"syntax error", "def main(ctx)\n    return {}\n", "syntax error: .drone.star:2:1: got newline, want ':'"},
		{"main returns an int", "def main(ctx):\n    return 42\n", "main returned a int; want a dict (one pipeline) or a list of dicts"},
		{"empty list", "def main(ctx):\n    return []\n", "main returned an empty list: no pipeline to run"},
		{"list of non-dicts", "def main(ctx):\n    return [{}, \"x\"]\n", "item 1 is a string"},
		{"no main", "def build(ctx):\n    return {}\n", "no main function"},
		{"main not callable", "main = 3\n", "main is a int, not a function"},
		{"undefined name", "def main(ctx):\n    return foo\n", ".drone.star:2:12: undefined: foo"},
		{"syntax error in a module", "load(\"@hangar//broken.star\", \"x\")\ndef main(ctx):\n    return {}\n", "cannot load @hangar//broken.star: @hangar//broken.star:2:1: got newline, want ':'"},
		{"runtime error", "def main(ctx):\n    return {}[\"missing\"]\n", ".drone.star:2:14: in main"},
		{"fail()", "def main(ctx):\n    fail(\"refusing to build\")\n", "refusing to build"},
		{"non-string key", "def main(ctx):\n    return {1: 2}\n", "dict key 1 is a int"},
		{"function in output", "def main(ctx):\n    return {\"f\": main}\n", "at f: a function cannot be written as YAML"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := request(".drone.star", tt.script, "push")
			req.Build.After = fmt.Sprintf("%040x", len(tt.name)) // distinct builds
			_, err := s.convert(context.Background(), req)
			var de *drone.Error
			if !errors.As(err, &de) {
				t.Fatalf("got error %v, want a drone.Error", err)
			}
			if de.Code != 422 {
				t.Errorf("got status %d, want 422", de.Code)
			}
			if !strings.Contains(de.Message, tt.want) {
				t.Errorf("got message %q, want it to contain %q", de.Message, tt.want)
			}
			// The service still answers a valid request.
			cfg, err := s.convert(context.Background(), request(".drone.star", validScript, "push"))
			if err != nil {
				t.Fatalf("valid request after %s: got error %v, want none", tt.name, err)
			}
			if want := "name: still-push\n"; !strings.Contains(cfg.Data, want) {
				t.Errorf("valid request: got %q, want it to contain %q", cfg.Data, want)
			}
		})
	}
}

// TestTimeoutKeepsServiceResponsive runs an endless script with no
// practical step limit: a valid request is answered while it runs, and
// when Drone gives up (its context ends) the conversion stops.
func TestTimeoutKeepsServiceResponsive(t *testing.T) {
	t.Parallel()
	config, _ := servicetest.Tree(t, hostileConfig(t))
	opts := testOptions()
	opts.Limits = Limits{Steps: 1 << 40, Timeout: time.Minute}
	s := start(t, opts, config)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := s.convert(ctx, request(".drone.star", "def main(ctx):\n    while True:\n        pass\n", "push"))
		done <- err
	}()
	cfg, err := s.convert(context.Background(), request(".drone.star", validScript, "pull_request"))
	if err != nil {
		t.Fatalf("valid request during an endless one: got error %v, want none", err)
	}
	if !strings.Contains(cfg.Data, "still-pull_request") {
		t.Errorf("got %q, want the valid pipeline", cfg.Data)
	}
	select {
	case err := <-done:
		t.Fatalf("the endless script ended before it was cancelled: %v", err)
	default:
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want the caller's cancellation", err)
	}
}

// TestWallClockLimit stops an endless script at the time limit.
func TestWallClockLimit(t *testing.T) {
	t.Parallel()
	in := Input{Name: ".drone.star", Script: []byte("def main(ctx):\n    while True:\n        pass\n"), Limits: Limits{Steps: 1 << 40, Timeout: 300 * time.Millisecond}}
	_, err := Render(context.Background(), in)
	if err == nil || !strings.Contains(err.Error(), ".drone.star: the conversion ran longer than 300ms (HANGAR_CONVERT_TIMEOUT) and was stopped") {
		t.Errorf("got %v, want the time limit error", err)
	}
}

// TestJsonnetLimits checks the wall-clock and memory limits on Jsonnet,
// which cannot be interrupted from inside: the worker process is killed.
func TestJsonnetLimits(t *testing.T) {
	t.Parallel()
	config, _ := servicetest.Tree(t, map[string]string{"x": "x"})
	// One worker slot per case: a case's time limit covers the wait for a
	// slot, which on a loaded machine the endless case would eat.
	w := newWorker(workerCmd(t), 256<<20, 4)
	tests := []struct {
		name, script, want string
	}{
		{"endless", "local f(n) = if n == 0 then 1 else f(n - 1) + f(n - 1); {x: f(80)}", "ran longer than 2s"},
		{"memory bomb", "{x: std.length(std.range(1, 1000000000))}", "used more than 268435456 bytes of memory"},
		{"huge answer", "std.makeArray(20000, function(i) {a: i})", "the pipeline is larger than 1000 bytes"},
		{"still fine", "{kind: 'pipeline'}", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// Only the endless case is about time: the others get room for
			// a race-instrumented worker on a loaded machine.
			timeout := 30 * time.Second
			if tt.name == "endless" {
				timeout = 2 * time.Second
			}
			in := Input{Name: ".drone.jsonnet", Script: []byte(tt.script), Config: config, Limits: Limits{Timeout: timeout, Size: 1000}}
			r, err := render(context.Background(), in, engine{worker: w})
			if tt.want == "" {
				if err != nil || r.yaml != "---\nkind: pipeline\n" {
					t.Errorf("got %q, %v; want the pipeline", r.yaml, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// TestMemoryWatch stops a script that keeps thousands of distinct 1 MB
// strings (each within every per-operation guard), then serves a valid
// request.
func TestMemoryWatch(t *testing.T) {
	t.Parallel()
	config, _ := servicetest.Tree(t, hostileConfig(t))
	opts := testOptions()
	opts.MemoryLimit = 128 << 20
	opts.Concurrency = 1
	s := start(t, opts, config)
	script := "def main(ctx):\n    s = \"x\" * 1000000\n    l = []\n    for i in range(5000):\n        l.append(s + str(i))\n    return {\"n\": len(l)}\n"
	_, err := s.convert(context.Background(), request(".drone.star", script, "push"))
	var de *drone.Error
	if !errors.As(err, &de) || de.Code != 422 || !strings.Contains(de.Message, "memory reached its limit (HANGAR_CONVERT_MEMORY_LIMIT=134217728 bytes, stopping at 125829120 to leave room for every running conversion), stopped at .drone.star:5:") {
		t.Fatalf("got %v, want a 422 naming the memory limit and the line", err)
	}
	cfg, err := s.convert(context.Background(), request(".drone.star", validScript, "push"))
	if err != nil || !strings.Contains(cfg.Data, "name: still-push") {
		t.Errorf("valid request afterwards: got %v, %v; want the pipeline", cfg, err)
	}
}

// TestBusySlotsLeaveCacheHits fills the only conversion slot with an
// endless script: a cached answer is still served, and a new conversion
// waits for the slot instead of competing for the CPU.
func TestBusySlotsLeaveCacheHits(t *testing.T) {
	t.Parallel()
	config, _ := servicetest.Tree(t, hostileConfig(t))
	opts := testOptions()
	opts.Concurrency = 1
	opts.Limits = Limits{Steps: 1 << 40, Timeout: time.Minute}
	s := start(t, opts, config)
	if _, err := s.convert(context.Background(), request(".drone.star", validScript, "push")); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	endless := make(chan error, 1)
	go func() {
		_, err := s.convert(ctx, request(".drone.star", "def main(ctx):\n    while True:\n        pass\n", "push"))
		endless <- err
	}()
	// Wait until the endless script holds the slot.
	for s.gauge(t, "hangar_convert_running") < 1 {
		time.Sleep(time.Millisecond)
	}
	waiting := make(chan error, 1)
	go func() {
		_, err := s.convert(context.Background(), request(".drone.star", validScript, "tag"))
		waiting <- err
	}()
	cfg, err := s.convert(context.Background(), request(".drone.star", validScript, "push"))
	if err != nil || !strings.Contains(cfg.Data, "still-push") {
		t.Fatalf("cached request while the slot is busy: got %v, %v", cfg, err)
	}
	select {
	case err := <-waiting:
		t.Fatalf("a new conversion ran while the only slot was busy: %v", err)
	default:
	}
	cancel()
	<-endless
	if err := <-waiting; err != nil {
		t.Errorf("the waiting conversion: got %v, want it to run once the slot is free", err)
	}
}

// TestNoStepLimitStillBounded: with a step limit beyond any real one
// (Render's callers may pass anything), single-step allocations keep a
// ceiling.
func TestNoStepLimitStillBounded(t *testing.T) {
	t.Parallel()
	for name, script := range map[string]string{
		"repetition": "def main(ctx):\n    return {\"x\": [0] * 100000000}\n",
		"range":      "def main(ctx):\n    return {\"x\": list(range(100000000))}\n",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := Render(context.Background(), Input{Name: ".drone.star", Script: []byte(script), Limits: Limits{Steps: 1 << 40}})
			if err == nil || !strings.Contains(err.Error(), "4194304") {
				t.Errorf("got %v, want a refusal naming the 4194304-element ceiling", err)
			}
		})
	}
}

// TestLoadDepth raises the module limit: a chain of loads still ends at
// the nesting bound.
func TestLoadDepth(t *testing.T) {
	t.Parallel()
	config, _ := servicetest.Tree(t, hostileConfig(t))
	in := Input{Name: ".drone.star", Script: []byte("load(\"@hangar//chain/m0.star\", \"v\")\ndef main(ctx):\n    return {}\n"), Config: config, Limits: Limits{Modules: 10000}}
	_, err := Render(context.Background(), in)
	if err == nil || !strings.Contains(err.Error(), "loads nested deeper than 100 modules") {
		t.Errorf("got %v, want the nesting bound", err)
	}
}

func TestJSONDepth(t *testing.T) {
	t.Parallel()
	tests := map[string]int{
		``:                          0,
		`[1, {"a": [2]}]`:           3,
		`["[[[[", {"a": "\\"]]"}]`:  2,
		`"[[[["`:                    0,
		strings.Repeat("[", 1001):   1001,
		`{"a": "\"[[[", "b": [[]]}`: 3,
	}
	for in, want := range tests {
		if got := jsonDepth(in); got != want {
			t.Errorf("jsonDepth(%.40q): got %d, want %d", in, got, want)
		}
	}
}
