package validate

import (
	"strings"
	"testing"
)

// TestMessagesSayWhatAndWhere checks the text Drone shows as the build's
// error: a file that does not parse is not a policy decision and names no
// rule that does not exist; a document over the node limit without
// aliases does not blame aliases.
func TestMessagesSayWhatAndWhere(t *testing.T) {
	t.Parallel()
	flow := "kind: pipeline\nx: [" + strings.TrimSuffix(strings.Repeat("1,", 600_000), ",") + "]\n"
	tests := []struct {
		name, yaml string
		want       []string
		notWant    []string
	}{
		{"syntax error", "kind: pipeline\nsteps: [\n", []string{"invalid pipeline file", "line 2", "yaml:"}, []string{"by policy", `rule "parse"`}},
		{"missing kind", "name: x\n", []string{"invalid pipeline file", "line 1", "missing kind"}, []string{"by policy", `rule "parse"`}},
		{"flow sequence over the node limit", flow, []string{"invalid pipeline file", "line 2", "more than 500000 nodes"}, []string{"aliases", "by policy"}},
		{"alias bomb", billionLaughs(9), []string{"invalid pipeline file", "through aliases"}, []string{"by policy"}},
		{"lint finding", "kind: pipeline\nname: a\nsteps:\n- name: s\n", []string{`pipeline "a", step "s" (line 4)`, "linter: invalid or missing image"}, []string{"by policy"}},
		{"policy violation", "kind: pipeline\nname: a\nsteps:\n- name: s\n  image: evil/miner:1\n", []string{"denied by policy", `rule "approved-images"`, `step "s" (line 4)`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := ParsePolicy([]byte(e2ePolicy))
			if err != nil {
				t.Fatal(err)
			}
			got := Check(t.Context(), p, pushBuild(), repoOf("octo/api", false), tt.yaml, CheckOptions{Lint: true}).Message()
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("got %q, want it to contain %q", got, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(got, w) {
					t.Errorf("got %q, want no %q", got, w)
				}
			}
		})
	}
}
