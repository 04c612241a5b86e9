package pipeline

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// benchFile is 50 pipelines of 10 steps each, the common step shape.
func benchFile() []byte {
	var b strings.Builder
	for p := 0; p < 50; p++ {
		fmt.Fprintf(&b, "---\nkind: pipeline\nname: p%d\ntrigger:\n  branch: [main, release/*]\nsteps:\n", p)
		for s := 0; s < 10; s++ {
			fmt.Fprintf(&b, "- name: s%d\n  image: golang:1.26\n  commands:\n  - go vet ./...\n  - go test ./...\n", s)
		}
	}
	return []byte(b.String())
}

// BenchmarkYAMLBaseline is plain yaml.v3 decoding of the same documents
// into untyped values.
func BenchmarkYAMLBaseline(b *testing.B) {
	data := benchFile()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for {
			var v any
			if dec.Decode(&v) != nil {
				break
			}
		}
	}
}

// BenchmarkParse is Parse (Drone's splitting, limits, typed decoding).
func BenchmarkParse(b *testing.B) {
	data := benchFile()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLintAndPlan is every lint rule and the trigger plan of the
// parsed manifest, the work after parsing.
func BenchmarkLintAndPlan(b *testing.B) {
	m, err := Parse(benchFile())
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if errs := Lint(m, false); len(errs) != 0 {
			b.Fatal(errs)
		}
		if _, err := m.Plan(Values{Branch: "main", Event: "push"}); err != nil {
			b.Fatal(err)
		}
	}
}
