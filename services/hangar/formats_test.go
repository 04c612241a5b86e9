package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hangar-ci/hangar/shared/envconf"
)

const seedFile = "../../shared/pipeline/foreign/testdata/seed003.yml"

// TestConvertToolFormats prints a Drone 0.8 file converted, with its
// warning on stderr, and fails naming every unconvertible GitLab CI key.
func TestConvertToolFormats(t *testing.T) {
	t.Parallel()
	golden, err := os.ReadFile("../../shared/pipeline/foreign/testdata/seed003.golden.yml")
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"convert", seedFile}, envconf.Map(nil), &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(golden), out.String()); diff != "" {
		t.Errorf("output differs (-want +got):\n%s", diff)
	}
	if got, want := errOut.String(), "seed003.yml:12: warning: pipeline.backend.when.branch.event is ignored"; !strings.Contains(got, want) {
		t.Errorf("stderr: got %q, want it to contain %q", got, want)
	}
	gl := writeTree(t, map[string]string{".gitlab-ci.yml": "image: a\ncache: {}\nt:\n  script: x\n  rules: [{if: $X, changes: [a]}]\n"}) + "/.gitlab-ci.yml"
	err = run(context.Background(), []string{"convert", gl}, envconf.Map(nil), &out, &errOut)
	if want := "GitLab CI: cannot convert: line 2: cache: is not supported; line 5: t.rules.if: \"$X\" is not supported"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v, want an error containing %q", err, want)
	}
}

// TestLintFormats lints one file of each format: the seed passes for a
// trusted repository (its docker.sock mount needs trust, as in Drone)
// with the nested event warned about; broken files report each key.
func TestLintFormats(t *testing.T) {
	t.Parallel()
	dir := writeTree(t, map[string]string{
		".gitlab-ci.yml": "image: a\nbuild:\n  script: make\n  artifacts: {paths: [x]}\n  retry: 2\n",
		"ci/default.yml": "pipeline:\n  t:\n    image: a\n    cap_add: [NET_ADMIN]\n",
	})
	tests := []struct {
		name    string
		args    []string
		want    []string
		wantErr bool
	}{
		{name: "seed trusted", args: []string{"-trusted", seedFile}, want: []string{
			"seed003.yml:12: warning: pipeline.backend.when.branch.event is ignored, as Drone 0.8 ignored it (only include and exclude count inside a condition): nothing restricts event",
			"1 pipeline files checked, 0 problems",
		}},
		{name: "seed untrusted", args: []string{seedFile}, want: []string{
			`seed003.yml (converted from Drone 0.8):1: linter: untrusted repositories cannot mount host volumes (pipeline "default")`,
		}, wantErr: true},
		{name: "gitlab file", args: []string{dir + "/.gitlab-ci.yml"}, want: []string{
			".gitlab-ci.yml:4: GitLab CI: build.artifacts: is not supported",
			".gitlab-ci.yml:5: GitLab CI: build.retry: is not supported",
			"1 pipeline files checked, 2 problems",
		}, wantErr: true},
		{name: "0.8 file in a config repository", args: []string{dir}, want: []string{
			"ci/default.yml:4: Drone 0.8: pipeline.t.cap_add: has no Drone 1.x equivalent",
			"1 pipeline files checked, 1 problems",
		}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out, errOut bytes.Buffer
			err := run(context.Background(), append([]string{"lint"}, tt.args...), envconf.Map(nil), &out, &errOut)
			if (err != nil) != tt.wantErr {
				t.Fatalf("got error %v, want error %v\n%s%s", err, tt.wantErr, out.String(), errOut.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output does not contain %q:\n%s", w, out.String())
				}
			}
		})
	}
}
