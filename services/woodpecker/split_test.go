package woodpecker

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSplitDocuments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     []string
	}{
		{"one document", "steps: []\n", []string{"steps: []\n"}},
		{"leading marker", "---\nsteps: []\n", []string{"steps: []\n"}},
		{"converter stream", "---\nname: a\n---\nname: b\n", []string{"name: a\n", "name: b\n"}},
		{"marker with comment", "a: 1\n--- # second\nb: 2\n", []string{"a: 1\n", "b: 2\n"}},
		{"empty and comment-only documents dropped", "---\n# nothing\n---\na: 1\n---\n", []string{"a: 1\n"}},
		{"indented dashes are content", "s: |\n  ---\n  text\n", []string{"s: |\n  ---\n  text\n"}},
		{"longer dashes are content", "----\n", []string{"----\n"}},
		{"nothing", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, splitDocuments(tt.in)); diff != "" {
				t.Errorf("documents (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWorkflows(t *testing.T) {
	t.Parallel()
	m := marker{key: []byte("0123456789abcdef0123")}
	one := m.workflows("hangar", "---\nsteps: []\n")
	if len(one) != 1 || one[0].Name != "hangar.yaml" || !m.valid(one[0]) {
		t.Errorf("one document: got %+v, want hangar.yaml, marked", one)
	}
	two := m.workflows(".woodpecker/build", "---\na: 1\n---\nb: 2\n")
	var names []string
	for _, f := range two {
		names = append(names, f.Name)
		if !m.valid(f) {
			t.Errorf("%s is not validly marked", f.Name)
		}
	}
	if diff := cmp.Diff([]string{".woodpecker/build-1.yaml", ".woodpecker/build-2.yaml"}, names); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
}
