package foreign

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/hangar-ci/hangar/shared/pipeline"
)

// converted converts src, which must convert, parse and pass Drone's
// lint (as for a trusted repository), and returns the manifest.
func converted(t *testing.T, name, src string) (*pipeline.Manifest, *Result) {
	t.Helper()
	r, err := Convert(name, []byte(src), Options{DefaultBranch: "main"})
	if err != nil {
		t.Fatalf("convert: %v", err)
	}
	if r == nil {
		t.Fatal("not detected as a foreign format")
	}
	m, err := pipeline.Parse(r.YAML)
	if err != nil {
		t.Fatalf("converted YAML does not parse: %v\n%s", err, r.YAML)
	}
	if errs := pipeline.Lint(m, true); len(errs) > 0 {
		t.Fatalf("converted YAML does not lint: %v\n%s", errs, r.YAML)
	}
	return m, r
}

// refused converts src, which must fail with an *Error containing every
// wanted text.
func refused(t *testing.T, name, src string, want ...string) *Error {
	t.Helper()
	_, err := Convert(name, []byte(src), Options{})
	var fe *Error
	if !errors.As(err, &fe) {
		t.Fatalf("got %v, want an *Error", err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("got %q, want it to contain %q", err, w)
		}
	}
	return fe
}

func pipelineNamed(t *testing.T, m *pipeline.Manifest, name string) *pipeline.Pipeline {
	t.Helper()
	for _, p := range m.Pipelines() {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("no pipeline %q", name)
	return nil
}

func step(t *testing.T, p *pipeline.Pipeline, name string) *pipeline.Container {
	t.Helper()
	for _, s := range p.Steps {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("pipeline %q has no step %q", p.Name, name)
	return nil
}

func names(cs []*pipeline.Container) string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return strings.Join(out, ",")
}

func cond(c pipeline.Condition) string {
	return strings.Join(c.Include, ",") + "|" + strings.Join(c.Exclude, ",")
}

func env(c *pipeline.Container, k string) string {
	v := c.Environment[k]
	switch {
	case v == nil:
		return "<unset>"
	case v.FromSecret != "":
		return "secret:" + v.FromSecret
	}
	return v.Value
}

func readFile(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// wantGraph checks the pipelines and their dependencies, written
// "name<dep+dep,…" in file order.
func wantGraph(want string) func(*testing.T, *pipeline.Manifest) {
	return func(t *testing.T, m *pipeline.Manifest) {
		t.Helper()
		var got []string
		for _, p := range m.Pipelines() {
			got = append(got, p.Name+"<"+strings.Join(p.DependsOn, "+"))
		}
		if strings.Join(got, ",") != want {
			t.Errorf("got %s, want %s", strings.Join(got, ","), want)
		}
	}
}
