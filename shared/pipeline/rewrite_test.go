package pipeline

import (
	"errors"
	"strings"
	"testing"
)

// TestDisable makes Drone's own rules skip the named units: the server
// skips a pipeline whose trigger excludes every event, a runner a step
// whose when does.
func TestDisable(t *testing.T) {
	t.Parallel()
	m0, err := Parse([]byte(monorepo))
	if err != nil {
		t.Fatal(err)
	}
	plan0, err := m0.Plan(Values{Event: "push", Branch: "main", Changes: &Changes{Files: []string{"services/api/x.go"}}})
	if err != nil {
		t.Fatal(err)
	}
	u := UnitsOf(plan0)
	if !u.Pipelines["web"] || !u.Steps["api"]["docs"] || len(u.Pipelines) != 1 {
		t.Fatalf("UnitsOf = %+v, want web and api/docs", u)
	}
	out, err := Disable([]byte(monorepo), u)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Parse(out)
	if err != nil {
		t.Fatalf("rewritten file does not parse: %v\n%s", err, out)
	}
	if err := LintManifest(m); err != nil {
		t.Fatal(err)
	}
	// Drone's server does not evaluate paths: the rewrite alone skips web.
	plan, err := m.Plan(Values{Event: "push", Branch: "main"})
	if err != nil {
		t.Fatal(err)
	}
	if got := describePlan(plan); got != "api deploy<-api | skipped web: " {
		t.Errorf("plan of the rewritten file: %s", got)
	}
	for _, p := range m.Pipelines() {
		for _, s := range p.Steps {
			ok, _ := s.When.Match(Values{Event: "push", Branch: "main"})
			if want := !(p.Name == "api" && s.Name == "docs"); ok != want {
				t.Errorf("step %s/%s when matches = %v, want %v", p.Name, s.Name, ok, want)
			}
		}
	}
	if !strings.Contains(string(out), "name: deploy\ndepends_on: [api, web]\n") {
		t.Errorf("an untouched document changed its text:\n%s", out)
	}
	if same, err := Disable([]byte(monorepo), Units{}); err != nil || string(same) != monorepo {
		t.Errorf("no units: got a change or %v", err)
	}
}

// TestDisableAliases rewrites an aliased step without touching the node
// it aliases, and refuses to rewrite an anchored one.
func TestDisableAliases(t *testing.T) {
	t.Parallel()
	const file = `kind: pipeline
name: p
x: &tmpl
  name: a
  image: alpine
steps:
- *tmpl
- <<: *tmpl
  name: b
`
	out, err := Disable([]byte(file), Units{Steps: map[string]map[string]bool{"p": {"a": true}}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := Parse(out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	p := m.Pipelines()[0]
	for _, s := range p.Steps {
		ok, _ := s.When.Match(Values{Event: "push"})
		if want := s.Name == "b"; ok != want {
			t.Errorf("step %s runs = %v, want %v\n%s", s.Name, ok, want, out)
		}
	}
	anchored := "kind: pipeline\nname: p\nsteps:\n- &s\n  name: a\n  image: alpine\n- <<: *s\n  name: b\n"
	if _, err := Disable([]byte(anchored), Units{Steps: map[string]map[string]bool{"p": {"a": true}}}); !errors.Is(err, errAnchored) {
		t.Errorf("anchored step: got %v, want errAnchored", err)
	}
}

// TestPrefix renames pipelines and their dependencies, drops signatures
// and keeps other documents.
func TestPrefix(t *testing.T) {
	t.Parallel()
	const file = "kind: pipeline\nsteps:\n- name: s\n  image: x\n---\nkind: pipeline\nname: test\ndepends_on: [default]\nsteps:\n- name: s\n  image: x\n---\nkind: secret\nname: token\nget:\n  path: p\n---\nkind: signature\nhmac: ab\n"
	out, err := Prefix([]byte(file), "services/api/")
	if err != nil {
		t.Fatal(err)
	}
	m, err := Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range m.Resources {
		switch r := r.(type) {
		case *Pipeline:
			got = append(got, r.Name+"<-"+strings.Join(r.DependsOn, ","))
		default:
			got = append(got, r.GetKind())
		}
	}
	if want := "services/api/default<-|services/api/test<-services/api/default|secret"; strings.Join(got, "|") != want {
		t.Errorf("got %s, want %s", strings.Join(got, "|"), want)
	}
	if root, err := Prefix([]byte(file), ""); err != nil || strings.Contains(string(root), "signature") || !strings.Contains(string(root), "name: test\ndepends_on: [default]") {
		t.Errorf("root: got %q, %v; want names kept and the signature dropped", root, err)
	}
	if _, err := Prefix([]byte("kind: pipeline\nname: &n a\nsteps: []\n"), "x/"); err == nil {
		t.Error("anchored name: got no error")
	}
}
