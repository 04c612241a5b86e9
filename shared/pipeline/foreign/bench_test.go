package foreign

import (
	"testing"

	"github.com/hangar-ci/hangar/shared/pipeline"
)

// The conversion runs at every trigger of a converted repository, right
// before pipeline.Parse reads its output: the baseline is that parse of
// the same converted YAML, so the numbers say what step 8 adds to step 9.

func benchInputs(b *testing.B) map[string]struct{ name, src string } {
	return map[string]struct{ name, src string }{
		"drone-0.8-matrix": {".drone.yml", readFile(b, "testdata/matrix.yml")},
		"gitlab-ci":        {".gitlab-ci.yml", readFile(b, "testdata/gitlab.yml")},
	}
}

// BenchmarkConvert is Convert of each sample file.
func BenchmarkConvert(b *testing.B) {
	for name, in := range benchInputs(b) {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(in.src)))
			for b.Loop() {
				if _, err := Convert(in.name, []byte(in.src), Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkParseBaseline is pipeline.Parse of each file's converted YAML.
func BenchmarkParseBaseline(b *testing.B) {
	for name, in := range benchInputs(b) {
		r, err := Convert(in.name, []byte(in.src), Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(r.YAML)))
			for b.Loop() {
				if _, err := pipeline.Parse(r.YAML); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
