package pipeline

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// BenchmarkPlanPaths isolates the matching: one parsed manifest of 50
// pipelines × 10 steps, each with a path condition, planned without
// changes (Drone's behaviour, paths ignored) and against 5,000 changed
// files (a fresh Changes each time, so nothing is remembered between
// builds).
func BenchmarkPlanPaths(b *testing.B) {
	var y strings.Builder
	for i := range 50 {
		fmt.Fprintf(&y, "---\nkind: pipeline\nname: p%02d\ntrigger:\n  paths:\n    include: [services/svc%02d/**]\n    exclude: ['**/*.md']\nsteps:\n", i, i)
		for j := range 10 {
			fmt.Fprintf(&y, "- name: s%d\n  image: alpine\n  when:\n    paths: services/svc%02d/part%d/**\n", j, i, j)
		}
	}
	m, err := Parse([]byte(y.String()))
	if err != nil {
		b.Fatal(err)
	}
	var files []string
	for i := range 5000 {
		files = append(files, fmt.Sprintf("services/svc%02d/part%d/file%04d.go", 2*(i%25), i%5, i))
	}
	slices.Sort(files) // as shared/scm lists them
	b.Run("without-changes", func(b *testing.B) {
		for range b.N {
			if p, err := m.Plan(Values{Event: "push"}); err != nil || len(p.Stages) != 50 {
				b.Fatal(err)
			}
		}
	})
	b.Run("changes-5000-files", func(b *testing.B) {
		for range b.N {
			if p, err := m.Plan(Values{Event: "push", Changes: &Changes{Files: files}}); err != nil || len(p.Stages) != 25 {
				b.Fatal(err)
			}
		}
	})
}
