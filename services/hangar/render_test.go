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

// TestConvertTool renders pipelines locally with `hangar convert FILE`.
func TestConvertTool(t *testing.T) {
	t.Parallel()
	golden, err := os.ReadFile("../convert/testdata/golden/push.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const sha = "0123456789abcdef0123456789abcdef01234567"
	tests := []struct {
		name    string
		args    []string
		want    string // exact output, or a substring with contains
		substr  bool
		wantErr string
	}{
		{
			name: "repository script with library and repository loads",
			args: []string{"../convert/testdata/repo/.drone.star", "--root", "../convert/testdata/repo", "--config", "../../config-repo", "--repo", "octo/platform", "--commit", sha},
			want: string(golden),
		},
		{
			name: "flags before the file, central script, tag",
			args: []string{"--config", "../../config-repo", "--event", "tag", "--branch", "v2.0.0", "../../config-repo/octo/api/default.star"},
			want: "      tags:\n        - v2.0.0\n", substr: true,
		},
		{
			name: "jsonnet with input",
			args: []string{"--config", "../../config-repo", "--input", "name=demo", writeTree(t, map[string]string{"p.jsonnet": "local d = import 'drone.libsonnet'; d.pipeline(std.extVar('input.name'), [])"}) + "/p.jsonnet"},
			want: "---\nkind: pipeline\nname: demo\nsteps: []\ntype: docker\n",
		},
		{
			name:    "script error",
			args:    []string{writeTree(t, map[string]string{"x.star": "def main(ctx):\n    return 1\n"}) + "/x.star"},
			wantErr: "x.star: main returned a int",
		},
		{name: "no file", args: []string{"--event", "push"}, wantErr: "exactly one FILE"},
		{name: "missing file", args: []string{"nope.star"}, wantErr: "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out, errOut bytes.Buffer
			err := run(context.Background(), append([]string{"convert"}, tt.args...), envconf.Map(nil), &out, &errOut)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("got %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want none (stderr %s)", err, errOut.String())
			}
			if tt.substr {
				if !strings.Contains(out.String(), tt.want) {
					t.Errorf("got:\n%s\nwant it to contain:\n%s", out.String(), tt.want)
				}
				return
			}
			if diff := cmp.Diff(tt.want, out.String()); diff != "" {
				t.Errorf("output differs (-want +got):\n%s", diff)
			}
		})
	}
}
