package convert

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.starlark.net/starlark"
	"go.yaml.in/yaml/v3"

	"github.com/hangar-ci/hangar/shared/pipeline"
)

// TestEmitterRoundTrip writes strings that YAML readers love to take for
// something else, and reads them back with yaml.v3 and the shared pipeline
// parser.
func TestEmitterRoundTrip(t *testing.T) {
	t.Parallel()
	strs := []string{
		"", " ", "plain", "go test ./...", "yes", "No", "ON", "off", "y", "n", "true", "False", "null", "Null", "~",
		"0", "0123", "1.22", "1e3", "0x1F", "0o17", "1_000", "12:30", "2024-01-01", ".inf", "-.inf", ".nan", "+1", "-1",
		"-mod=readonly", ".drone.star", ".Inf", ".NaN", "-.Inf", ".e1", "-e", "-", "--", "---", "...", "- a", "? x", ": x", "a: b", "a:b", "key:", "a #b", "a#b", "#c",
		"@x", "`x", "*x", "&x", "!x", "%x", "{x}", "[x]", ",x", "|x", ">x", "'x", "\"x", "x'", "<<", "=",
		" lead", "trail ", "tab\tx", "é", "日本", "line\nline", "line\n", "line\n\n", "\nlead", "a\n  b\n", "a\n \nb",
		"a\r\nb", "nul\x00x", "bell\a", "\u2028", "\ufeffbom", "back\\slash", "quote\"s", "${DRONE_COMMIT}", "$(date)",
		"echo 'a: b' | grep x", "{{build.status}}", "a,b", "a]b", "http://x.y/z?q=1#frag", strings.Repeat("x", 2000),
	}
	list := make([]starlark.Value, len(strs))
	d := starlark.NewDict(len(strs))
	for i, s := range strs {
		list[i] = starlark.String(s)
		if s != "" && len(s) < 1000 {
			d.SetKey(starlark.String(s), starlark.String(s))
		}
	}
	d.SetKey(starlark.String("kind"), starlark.String("pipeline"))
	d.SetKey(starlark.String("name"), starlark.String("emitter"))
	d.SetKey(starlark.String("all"), starlark.NewList(list))
	d.SetKey(starlark.String("nested"), starlark.NewList([]starlark.Value{
		starlark.NewList([]starlark.Value{starlark.MakeInt(1), starlark.NewList(nil), starlark.NewDict(0)}),
		starlark.Tuple{starlark.Float(1), starlark.Float(0.5), starlark.Float(1e300), starlark.None, starlark.True},
	}))
	out, err := writeDocs("t.star", []starlark.Value{d}, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	m, err := pipeline.Parse([]byte(out))
	if err != nil {
		t.Fatalf("pipeline.Parse: %v\n%s", err, out)
	}
	if len(m.Resources) == 0 {
		t.Fatalf("got no resources from:\n%s", out)
	}
	var got map[string]any
	if err := yaml.Unmarshal(m.Resources[0].Source().Raw, &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want := map[string]any{"kind": "pipeline", "name": "emitter"}
	all := make([]any, len(strs))
	for i, s := range strs {
		all[i] = s
		if s != "" && len(s) < 1000 {
			want[s] = s
		}
	}
	want["all"] = all
	want["nested"] = []any{[]any{1, []any{}, map[string]any{}}, []any{1.0, 0.5, 1e300, nil, true}}
	// Invalid characters for YAML come back escaped.
	for _, k := range []string{"nul\x00x", "bell\a"} {
		if got[k] != k {
			t.Errorf("key %q: got %q", k, got[k])
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("read back differently (-want +got):\n%s\n%s", diff, out)
	}
}
