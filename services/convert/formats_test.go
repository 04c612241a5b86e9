package convert

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/drone/drone-go/drone"

	"github.com/hangar-ci/hangar/shared/pipeline"
)

// TestFormatsMode drives the real handler with drone-go's client: with
// HANGAR_CONVERT_FORMATS a Drone 0.8 or GitLab CI file comes back as Drone
// 1.x YAML that parses and lints, an unconvertible one as a 422 naming its
// keys; without it the service leaves them alone (204).
func TestFormatsMode(t *testing.T) {
	t.Parallel()
	seed, err := os.ReadFile("../../shared/pipeline/foreign/testdata/seed003.yml")
	if err != nil {
		t.Fatal(err)
	}
	opts := testOptions()
	opts.Formats = true
	on := start(t, opts, sampleConfig(t))
	off := start(t, testOptions(), sampleConfig(t))
	gitlab := "image: alpine:3\ntest:\n  script: [make test]\n"
	tests := []struct {
		name      string
		s         started
		path      string
		data      string
		want      []string // pipeline names; nil for no conversion
		status    int
		wantError string
	}{
		{name: "drone 0.8", s: on, path: ".drone.yml", data: string(seed), want: []string{"default"}},
		{name: "gitlab ci", s: on, path: ".gitlab-ci.yml", data: gitlab, want: []string{"test"}},
		{name: "unconvertible", s: on, path: ".gitlab-ci.yml", data: gitlab + "  artifacts: {paths: [out]}\n", status: 422, wantError: "GitLab CI: cannot convert: line 4: test.artifacts: is not supported"},
		{name: "drone 1.x untouched", s: on, path: ".drone.yml", data: "kind: pipeline\nname: x\n"},
		{name: "mode off", s: off, path: ".drone.yml", data: string(seed)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.s.convert(context.Background(), request(tt.path, tt.data, "push"))
			if tt.status != 0 {
				var de *drone.Error
				if !errors.As(err, &de) || de.Code != tt.status || !strings.Contains(de.Message, tt.wantError) {
					t.Fatalf("got %v, want %d containing %q", err, tt.status, tt.wantError)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == nil {
				if got != nil && got.Data != "" {
					t.Fatalf("got %q, want no conversion", got.Data)
				}
				return
			}
			m, err := pipeline.Parse([]byte(got.Data))
			if err != nil {
				t.Fatalf("answer does not parse: %v\n%s", err, got.Data)
			}
			if errs := pipeline.Lint(m, true); len(errs) > 0 {
				t.Errorf("answer does not lint: %v", errs)
			}
			var names []string
			for _, p := range m.Pipelines() {
				names = append(names, p.Name)
			}
			if strings.Join(names, ",") != strings.Join(tt.want, ",") {
				t.Errorf("got pipelines %v, want %v", names, tt.want)
			}
		})
	}
}
