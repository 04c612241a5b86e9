package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/hangar-ci/hangar/shared/envconf"
	"github.com/hangar-ci/hangar/shared/servicetest"
)

// writeTree writes files under a new temporary directory and returns it.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	servicetest.WriteFiles(t, dir, files)
	return dir
}

const lintPolicy = `rules:
- id: pinned
  kind: images
  deny: ["docker.io/library/*:latest"]
- id: prod
  kind: cel
  outcome: block
  expr: repo.slug == "octo/api"
`

func TestLintTool(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		files   map[string]string
		args    []string
		want    []string
		wantErr bool
	}{
		{
			name: "clean repository",
			files: map[string]string{
				"default.yaml":             "kind: pipeline\nname: a\nsteps:\n- name: s\n  image: golang:1.26\n",
				"README.md":                "not a pipeline",
				"_hangar/lib/x.star":       "def f(): pass\n",
				"_hangar/policy.yaml":      lintPolicy,
				"octo/web/default.star":    "def main(ctx):\n  return {'kind': 'pipeline', 'name': ctx.repo.name, 'steps': [{'name': 't', 'image': 'golang:1.26'}]}\n",
				"octo/app/default.jsonnet": "{kind: 'pipeline', name: 'j', steps: [{name: 's', image: 'golang:1.26'}]}\n",
			},
			want: []string{"3 pipeline files checked, 0 problems"},
		},
		{
			name: "every kind of problem, with file and line",
			files: map[string]string{
				"_hangar/policy.yaml":  lintPolicy,
				"broken.yaml":          "kind: pipeline\nsteps: [\n",
				"octo/default.yaml":    "kind: pipeline\nname: a\nsteps:\n- name: s\n  image: golang:1.26\n---\nkind: pipeline\nname: a\n",
				"octo/api/main.yaml":   "kind: pipeline\nname: p\nsteps:\n- name: ok\n  image: golang:1\n- name: bad\n  image: alpine\n  privileged: true\n",
				"octo/api/script.star": "def main(ctx):\n  return {'kind': 'pipeline', 'steps': [{'name': 'x'}]}\n",
				"octo/api/broken.star": "def main(ctx):\n  return 1 +\n",
				"octo/api/bad.jsonnet": "[{kind: 'pipeline', name: 'j', steps: [{name: 's', image: 'x:1', network_mode: 'host'}]}]\n",
			},
			want: []string{
				"broken.yaml:2: yaml: line 2: did not find expected node content",
				`octo/api/broken.star: `,
				`octo/api/main.yaml:6: linter: untrusted repositories cannot enable privileged mode (pipeline "p", step "bad")`,
				`octo/api/main.yaml:6: policy rule "pinned": image "alpine" is denied by "docker.io/library/*:latest" (pipeline "p", step "bad")`,
				`octo/api/main.yaml: note: block builds of octo/api: rule "prod": repo.slug == "octo/api"`,
				`octo/api/script.star (rendered):4: linter: invalid or missing image (step "x")`,
				`octo/api/broken.star: syntax error: octo/api/broken.star:2:13:`,
				`octo/default.yaml:7: linter: duplicate pipeline names (pipeline "a")`,
				`octo/api/bad.jsonnet (rendered):`,
				`linter: untrusted repositories cannot configure network_mode (pipeline "j", step "s")`,
				"6 pipeline files checked, 7 problems",
			},
			wantErr: true,
		},
		{
			name: "exec and ssh pipelines have no images",
			files: map[string]string{
				"octo/mac/default.yaml": "kind: pipeline\ntype: exec\nname: mac\nplatform: {os: darwin, arch: arm64}\nsteps:\n- name: build\n  commands: [swift build]\n---\nkind: pipeline\ntype: ssh\nname: deploy\nserver: {host: h, user: u}\nsteps:\n- name: restart\n  commands: [systemctl restart app]\n",
			},
			want: []string{"1 pipeline files checked, 0 problems"},
		},
		{
			name:  "trusted flag",
			files: map[string]string{"a/b/main.yaml": "kind: pipeline\nsteps:\n- name: s\n  image: golang:1\n  privileged: true\n"},
			args:  []string{"-trusted"},
			want:  []string{"1 pipeline files checked, 0 problems"},
		},
		{
			name:    "broken policy",
			files:   map[string]string{"_hangar/policy.yaml": "rules:\n- id: x\n  kind: nope\n", "default.yaml": "kind: pipeline\n"},
			want:    []string{`_hangar/policy.yaml: policy: line 2: rule 1 (x): kind "nope" must be one of`, "1 pipeline files checked, 1 problems"},
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := writeTree(t, tt.files)
			var out, errOut bytes.Buffer
			err := run(context.Background(), append(append([]string{"lint"}, tt.args...), dir), envconf.Map(nil), &out, &errOut)
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

func TestLintSampleConfigRepo(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"lint", "../../config-repo"}, envconf.Map(nil), &out, &out); err != nil {
		t.Fatalf("the sample config repository fails its own lint: %v\n%s", err, out.String())
	}
	if got, want := strings.TrimSpace(out.String()), "0 problems"; !strings.HasSuffix(got, want) {
		t.Errorf("got %q, want it to end with %q", got, want)
	}
}
