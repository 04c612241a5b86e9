package convert

import (
	"context"
	"strings"
	"testing"
)

// TestRewritesKeepSemantics runs code whose operators and methods the
// guards rewrite, and checks it computes what Starlark computes.
func TestRewritesKeepSemantics(t *testing.T) {
	t.Parallel()
	script := `
def main(ctx):
    s = struct(join = lambda x: "struct join %s" % x, replace = lambda a, b: a + b)
    a = [1]
    b = a
    a += [2]          # in place: b sees it
    n = 7
    n *= 6
    m = 17
    m %= 5
    t = (1, 2) * 2
    return {
        "join": ",".join(["a", "b"]),
        "sep": "-".join([]),
        "format": "{x}-{0}".format("p", x = 1),
        "replace": "a-b-c".replace("-", "+", 1),
        "percent": "%d items, %s" % (3, "ok"),
        "struct": s.join(5),
        "struct2": s.replace(1, 2),
        "alias": b,
        "n": n,
        "m": m,
        "t": list(t),
        "concat": "ab" + "cd",
        "ints": 2 * 3 + 4,
        "repeat": "ab" * 2,
        "str": str([1, "x"]),
        "repr": repr("q"),
        "json": json.encode({"a": [1, 2]}),
        "neg": -3 % 5,
    }
`
	got, err := Render(context.Background(), Input{Name: ".drone.star", Script: []byte(script)})
	if err != nil {
		t.Fatal(err)
	}
	want := `---
join: a,b
sep: ""
format: "1-p"
replace: a+b-c
percent: "3 items, ok"
struct: struct join 5
struct2: 3
alias:
  - 1
  - 2
"n": 42
m: 2
t:
  - 1
  - 2
  - 1
  - 2
concat: abcd
ints: 10
repeat: abab
str: "[1, \"x\"]"
repr: "\"q\""
json: "{\"a\":[1,2]}"
neg: 2
`
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	for _, bad := range []struct{ script, want string }{
		{"def main(ctx):\n    return {\"x\": [1].join(\",\")}\n", "list has no .join field or method"},
		{"def main(ctx):\n    return {\"x\": \",\".join(1)}\n", "join: for parameter 1: got int, want iterable"},
		{"def main(ctx):\n    return {\"x\": \"%d\" % \"s\"}\n", "%d format requires integer"},
		{"def main(ctx):\n    return {\"x\": 1 + \"s\"}\n", "unknown binary op: int + string"},
	} {
		_, err := Render(context.Background(), Input{Name: ".drone.star", Script: []byte(bad.script)})
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: got %v, want an error containing %q", bad.script, err, bad.want)
		}
	}
}
