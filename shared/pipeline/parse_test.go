package pipeline

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseDocuments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		kinds   []string
		lines   []int
		wantErr string
	}{
		{"single", "kind: pipeline\nname: a\n", []string{"*pipeline.Pipeline"}, []int{1}, ""},
		{"leading separator harmless", "---\nkind: pipeline\n", []string{"*pipeline.Pipeline"}, []int{2}, ""},
		{"two documents", "kind: pipeline\nname: a\n---\nkind: secret\nname: s\ndata: x\n", []string{"*pipeline.Pipeline", "*pipeline.Secret"}, []int{1, 4}, ""},
		{"every kind", "kind: cron\n---\nkind: signature\n---\nkind: registry\n---\nkind: secret\n---\nkind: pipeline\n---\nkind: strange\n",
			[]string{"*pipeline.Cron", "*pipeline.Signature", "*pipeline.Registry", "*pipeline.Secret", "*pipeline.Pipeline", "*pipeline.Pipeline"}, []int{1, 3, 5, 7, 9, 11}, ""},
		{"trailing separator fails", "kind: pipeline\n---\n", nil, nil, "yaml: missing kind attribute"},
		{"comment-only document fails", "kind: pipeline\n---\n# nothing\n", nil, nil, "yaml: missing kind attribute"},
		{"empty kind fails", "kind: \"\"\nname: a\n", nil, nil, "yaml: missing kind attribute"},
		{"terminator stops reading", "kind: pipeline\n...\n: this is not yaml [\n", []string{"*pipeline.Pipeline"}, []int{1}, ""},
		{"terminator first opens an empty document", "...\nkind: pipeline\n", nil, nil, "yaml: missing kind attribute"},
		{"terminator after separator leaves an empty document", "kind: pipeline\n---\n...\n", nil, nil, "yaml: missing kind attribute"},
		{"separator with text is a separator", "kind: pipeline\n--- ignored\nkind: secret\n", []string{"*pipeline.Pipeline", "*pipeline.Secret"}, []int{1, 3}, ""},
		{"empty file", "", []string{}, []int{}, ""},
		{"crlf lines", "kind: pipeline\r\nname: a\r\n", []string{"*pipeline.Pipeline"}, []int{1}, ""},
		{"syntax error has file line", "kind: pipeline\n---\nkind: pipeline\nsteps: [\n", nil, nil, "yaml: line 4: did not find"},
		{"type error has file line", "kind: pipeline\n---\nkind: pipeline\nsteps: 3\n", nil, nil, "line 4: cannot unmarshal"},
		{"empty step item", "kind: pipeline\nname: p\nsteps:\n-\n", nil, nil, `yaml: pipeline "p": steps item 1 is empty`},
		{"empty port item", "kind: pipeline\nservices:\n- name: s\n  ports: [~]\n", nil, nil, `has an empty ports, devices or volumes item`},
		{"empty volume item", "kind: pipeline\nvolumes: [~]\n", nil, nil, `volumes has an empty item`},
		{"document not a mapping", "- a\n- b\n", nil, nil, "cannot unmarshal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := Parse([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v, want one containing %q", err, tt.wantErr)
				}
				var pe *Error
				if !errors.As(err, &pe) {
					t.Fatalf("got %T, want *pipeline.Error", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			kinds, lines := []string{}, []int{}
			for _, r := range m.Resources {
				kinds = append(kinds, typeName(r))
				lines = append(lines, r.Source().Line)
			}
			if d := cmp.Diff(tt.kinds, kinds); d != "" {
				t.Errorf("kinds (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tt.lines, lines); d != "" {
				t.Errorf("lines (-want +got):\n%s", d)
			}
		})
	}
}

func typeName(r Resource) string {
	switch r.(type) {
	case *Pipeline:
		return "*pipeline.Pipeline"
	case *Secret:
		return "*pipeline.Secret"
	case *Cron:
		return "*pipeline.Cron"
	case *Signature:
		return "*pipeline.Signature"
	case *Registry:
		return "*pipeline.Registry"
	}
	return "?"
}

func TestParseRawText(t *testing.T) {
	t.Parallel()
	m, err := Parse([]byte("---\r\nkind: pipeline\r\nname: a\r\n---\nkind: secret\nname: b"))
	if err != nil {
		t.Fatal(err)
	}
	got := []string{string(m.Resources[0].Source().Raw), string(m.Resources[1].Source().Raw)}
	want := []string{"kind: pipeline\nname: a\n", "kind: secret\nname: b\n"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("raw documents (-want +got):\n%s", d)
	}
}

func TestParsePipelineFields(t *testing.T) {
	t.Parallel()
	in := `kind: pipeline
type: docker
name: build
defaults: &defaults
  image: golang:1.26
  environment:
    GOFLAGS: -mod=mod
platform: {os: linux, arch: arm64}
clone: {disable: true}
depends_on: [lint]
node: {team: a}
volumes:
- name: cache
  temp: {medium: memory}
- name: docker
  host: {path: /var/run/docker.sock}
steps:
- name: test
  <<: *defaults
  commands: [go test ./...]
  environment:
    TOKEN: {from_secret: token}
    N: 3
  ports: [8080, {port: 9000, host: 9000}]
  resources: {limits: {cpu: 500m, memory: 1Gi}}
- name: publish
  image: plugins/docker
  build: owner/app
  push: owner/app
  settings:
    password: {from_secret: pw}
    tags: [latest, "1.0"]
  privileged: true
  when: {branch: main}
services:
- name: db
  image: postgres
trigger:
  event: [push, tag]
  branch: {exclude: [wip/*]}
`
	m, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	p := m.Pipelines()[0]
	test, pub := p.Steps[0], p.Steps[1]
	checks := []struct {
		name      string
		got, want any
	}{
		{"name", p.Name, "build"},
		{"platform", p.Platform, Platform{OS: "linux", Arch: "arm64"}},
		{"clone.disable", p.Clone.Disable, true},
		{"depends_on", p.DependsOn, []string{"lint"}},
		{"volume temp", *p.Volumes[0].Temp, VolumeTemp{Medium: "memory"}},
		{"volume host", *p.Volumes[1].Host, VolumeHost{Path: "/var/run/docker.sock"}},
		{"merged image", test.Image, "golang:1.26"},
		{"env secret", *test.Environment["TOKEN"], Variable{FromSecret: "token"}},
		{"env number", *test.Environment["N"], Variable{Value: "3"}},
		{"env merge replaced", test.Environment["GOFLAGS"] == nil, true},
		{"ports", []Port{*test.Ports[0], *test.Ports[1]}, []Port{{Port: 8080}, {Port: 9000, Host: 9000}}},
		{"limits", *test.Resources.Limits, ResourceObject{CPU: "500m", Memory: "1Gi"}},
		{"step line", test.Line, 18},
		{"build short form", pub.Build.Image, "owner/app"},
		{"push short form", pub.Push.Image, "owner/app"},
		{"setting secret", pub.Settings["password"].FromSecret, "pw"},
		{"setting list", pub.Settings["tags"].Value, []any{"latest", "1.0"}},
		{"when", pub.When.Branch, Condition{Include: []string{"main"}}},
		{"service", p.Services[0].Image, "postgres"},
		{"trigger event", p.Trigger.Event, Condition{Include: []string{"push", "tag"}}},
		{"trigger branch", p.Trigger.Branch, Condition{Exclude: []string{"wip/*"}}},
	}
	for _, c := range checks {
		if d := cmp.Diff(c.want, c.got); d != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, d)
		}
	}
}
