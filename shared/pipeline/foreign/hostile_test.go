package foreign

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/hangar-ci/hangar/shared/pipeline"
)

// TestHostile refuses files that would make the conversion or its output
// huge, each with a clear error; limit errors wrap pipeline.ErrLimit.
func TestHostile(t *testing.T) {
	t.Parallel()
	axes := lines("pipeline:\n  t:\n    image: a\nmatrix:\n", 10, "  V%d: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]\n")
	include := lines("pipeline:\n  t:\n    image: a\nmatrix:\n  include:\n", 65, "    - {V: %d}\n")
	jobs := lines("image: a\n", 201, "j%d: {script: x}\n")
	extends := lines("image: a\n.t0:\n  variables:\n", 3000, "    V%d: x\n") + lines("", 200, "j%d: {extends: .t0, script: x}\n")
	laughs := "pipeline:\n  t:\n    image: a\n    x: &a [1,1,1,1,1,1,1,1,1,1]\n"
	prev := "a"
	for i := range 8 {
		name := fmt.Sprintf("b%d", i)
		laughs += fmt.Sprintf("    %s: &%s [*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s]\n", name, name, prev, prev, prev, prev, prev, prev, prev, prev, prev, prev)
		prev = name
	}
	tests := []struct {
		name, file, src string
		limit           bool
		want            string
	}{
		{"matrix of 10 variables of 10 values", ".drone.yml", axes, true,
			"matrix of 10 variables (V0: 10, V1: 10, V2: 10, V3: 10, V4: 10, V5: 10, V6: 10, V7: 10, V8: 10, V9: 10) makes 10000000000 pipelines, more than the limit of 64"},
		{"matrix include past the limit", ".drone.yml", include, true, "matrix.include has 65 entries, more than the limit of 64 pipelines"},
		{"gitlab jobs past the limit", ".gitlab-ci.yml", jobs, true, "line 202: limit: 201 jobs make more than the limit of 200 pipelines"},
		{"billion laughs", ".drone.yml", laughs, true, "document expands to more than"},
		{"extends amplification", ".gitlab-ci.yml", extends, true, "jobs with their extends: document"},
		{"deep nesting", ".drone.yml", "pipeline:\n  t:\n    x: " + strings.Repeat("[", 200) + strings.Repeat("]", 200) + "\n", true, "nesting deeper than 100 levels"},
		{"file too large", ".drone.yml", "pipeline:\n" + strings.Repeat("#", 1<<20), true, "exceeds the limit of 1048576 bytes"},
		{"invalid UTF-8", ".gitlab-ci.yml", "image: \xff\n", true, "not valid UTF-8"},
		{"two documents", ".gitlab-ci.yml", "image: a\nx: {script: y}\n---\nimage: b\n", false, "line 3: file: holds more than one YAML document"},
		{"empty", ".gitlab-ci.yml", "", false, "file: is empty"},
		{"not a mapping", ".gitlab-ci.yml", "- a\n", false, "file: is not a mapping"},
		{"broken YAML", ".drone.yml", "pipeline:\n  t: [\n", false, "Drone 0.8: cannot convert: yaml"},
		{"unknown alias", ".drone.yml", "pipeline:\n  t: *nope\n", false, "unknown anchor 'nope'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := Convert(tt.file, []byte(tt.src), Options{})
			var fe *Error
			if !errors.As(err, &fe) || r != nil {
				t.Fatalf("got %v, %v; want an *Error", r, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %q, want it to contain %q", err, tt.want)
			}
			if got := errors.Is(err, pipeline.ErrLimit); got != tt.limit {
				t.Errorf("wraps ErrLimit: got %v, want %v", got, tt.limit)
			}
		})
	}
}

// lines is head and then format written for 0 … n-1, a line each.
func lines(head string, n int, format string) string {
	var b strings.Builder
	b.WriteString(head)
	for i := range n {
		fmt.Fprintf(&b, format, i)
	}
	return b.String()
}

// FuzzConvert checks that any input converts to YAML that parses, or
// fails with an *Error; never a panic.
func FuzzConvert(f *testing.F) {
	f.Add(".drone.yml", "pipeline:\n  t:\n    image: a\n    group: g\nmatrix:\n  A: [1, 2]\n")
	f.Add(".gitlab-ci.yml", "image: a\nx:\n  script: y\n  only: [main]\n")
	f.Add(".drone.yml", "pipeline:\n  t:\n    when:\n      branch: {event: push}\n")
	f.Fuzz(func(t *testing.T, name, src string) {
		r, err := Convert(name, []byte(src), Options{})
		if err != nil {
			var fe *Error
			if !errors.As(err, &fe) {
				t.Fatalf("got %T %v, want an *Error", err, err)
			}
			return
		}
		if r == nil {
			return
		}
		if _, err := pipeline.Parse(r.YAML); err != nil {
			t.Fatalf("output does not parse: %v\n%s", err, r.YAML)
		}
	})
}

// TestDetect is Drone's detection: by name for GitLab CI, by a line that
// is exactly "pipeline:" for 0.8.
func TestDetect(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, data string
		want       Format
	}{
		{".gitlab-ci.yml", "anything", GitLabCI},
		{"ci/.gitlab-ci.yml", "", GitLabCI},
		{".gitlab-ci.yaml", "image: a\n", ""},
		{".drone.yml", "clone:\n  git: {}\npipeline:  \n  a: {}\n", Drone08},
		{".drone.yml", "pipeline:\r\n  a: {}\r\n", Drone08},
		{".drone.yml", "kind: pipeline\nsteps: []\n", ""},
		{".drone.yml", "kind: pipeline\n  pipeline:\n", ""},
		{".drone.yml", "pipeline: x\n", ""},
	} {
		if got := Detect(tc.name, []byte(tc.data)); got != tc.want {
			t.Errorf("Detect(%q, %q): got %q, want %q", tc.name, tc.data, got, tc.want)
		}
	}
}
