package foreign

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestGolden converts the sample files and compares the YAML with
// testdata/*.golden.yml (go test -update rewrites them). Each must also
// parse and lint.
func TestGolden(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ file, name string }{
		{"testdata/seed003.yml", ".drone.yml"},
		{"testdata/matrix.yml", ".drone.yml"},
		{"testdata/gitlab.yml", ".gitlab-ci.yml"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			_, r := converted(t, tc.name, readFile(t, tc.file))
			golden := strings.TrimSuffix(tc.file, ".yml") + ".golden.yml"
			if *update {
				if err := os.WriteFile(golden, r.YAML, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if diff := cmp.Diff(readFile(t, golden), string(r.YAML)); diff != "" {
				t.Errorf("%s differs (-want +got):\n%s", golden, diff)
			}
		})
	}
}
