package validate

import (
	"context"
	"strings"
	"testing"

	"github.com/drone/drone-go/drone"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hangar-ci/hangar/shared/pipeline"
)

const ruleYAML = `kind: pipeline
name: p
volumes:
- name: sock
  host: {path: /var/run/docker.sock}
steps:
- name: build
  image: golang:1.26
  privileged: true
  network_mode: host
  devices: [{name: d, path: /dev/fuse}]
  ports: [{port: 80, host: 8080}]
  resources: {limits: {cpu: 1}}
  environment:
    TOKEN: {from_secret: token}
- name: ship
  image: plugins/docker
  resources: {limits: {cpu: 1, memory: 1Gi}}
services:
- name: db
  image: postgres:16
`

func TestPolicyRuleKinds(t *testing.T) {
	t.Parallel()
	type v struct{ Rule, Pipeline, Step, Message string }
	tests := []struct {
		name    string
		rule    string
		slug    string
		trusted bool
		build   drone.Build
		want    []v
	}{
		{"images allow list", "kind: images\nallow: [golang:*, plugins/*]", "a/b", false, pushBuild(),
			[]v{{"r", "p", "db", `image "postgres:16" is not in the allowed list`}}},
		{"images allow fully qualified", "kind: images\nallow: [docker.io/**]", "a/b", false, pushBuild(), nil},
		{"images deny wins", "kind: images\nallow: ['**']\ndeny: [plugins/*]", "a/b", false, pushBuild(),
			[]v{{"r", "p", "ship", `image "plugins/docker" is denied by "plugins/*"`}}},
		{"images deny implicit latest", "kind: images\ndeny: ['**/*:latest']", "a/b", false, pushBuild(),
			[]v{{"r", "p", "ship", `image "plugins/docker" is denied by "**/*:latest"`}}},
		{"privileged", "kind: privileged", "a/b", false, pushBuild(),
			[]v{{"r", "p", "build", "privileged mode is not allowed for this repository"}}},
		{"privileged for listed repo", "kind: privileged\nallow_repos: [infra/*]", "infra/ci", false, pushBuild(), nil},
		{"privileged not for other repo", "kind: privileged\nallow_repos: [infra/*]", "a/b", false, pushBuild(),
			[]v{{"r", "p", "build", "privileged mode is not allowed for this repository"}}},
		{"privileged for trusted", "kind: privileged\nallow_trusted: true", "a/b", true, pushBuild(), nil},
		{"privileged trusted not enough", "kind: privileged", "a/b", true, pushBuild(),
			[]v{{"r", "p", "build", "privileged mode is not allowed for this repository"}}},
		{"host volumes", "kind: host_volumes", "a/b", false, pushBuild(),
			[]v{{"r", "p", "", `host volume "sock" (/var/run/docker.sock) is not allowed for this repository`}}},
		{"devices", "kind: devices", "a/b", false, pushBuild(),
			[]v{{"r", "p", "build", "devices is not allowed for this repository"}}},
		{"network_mode", "kind: network_mode", "a/b", false, pushBuild(),
			[]v{{"r", "p", "build", `network_mode "host" is not allowed for this repository`}}},
		{"host ports", "kind: host_ports", "a/b", false, pushBuild(),
			[]v{{"r", "p", "build", "host port 8080 is not allowed for this repository"}}},
		{"resources default cpu and memory", "kind: resources", "a/b", false, pushBuild(),
			[]v{{"r", "p", "build", "resources.limits.memory is required"}, {"r", "p", "db", "resources.limits.cpu is required"}, {"r", "p", "db", "resources.limits.memory is required"}}},
		{"resources cpu only", "kind: resources\nrequire: [cpu]", "a/b", false, pushBuild(),
			[]v{{"r", "p", "db", "resources.limits.cpu is required"}}},
		{"limits steps", "kind: limits\nmax_steps: 1", "a/b", false, pushBuild(),
			[]v{{"r", "p", "", "2 steps, at most 1 allowed per pipeline"}}},
		{"limits pipelines", "kind: limits\nmax_pipelines: 0\nmax_total_steps: 1", "a/b", false, pushBuild(),
			[]v{{"r", "", "", "2 steps in all, at most 1 allowed"}}},
		{"cel build scope", "kind: cel\nexpr: build.event == 'push' && repo.slug == 'a/b'", "a/b", false, pushBuild(),
			[]v{{"r", "", "", "build.event == 'push' && repo.slug == 'a/b'"}}},
		{"cel pipeline scope", "kind: cel\nexpr: pipeline.volumes.exists(v, v.host != '')\nmessage: no host volumes", "a/b", false, pushBuild(),
			[]v{{"r", "p", "", "no host volumes (pipeline.volumes.exists(v, v.host != ''))"}}},
		{"cel step scope", "kind: cel\nexpr: \"'token' in step.secrets && !step.image.startsWith('golang')\"", "a/b", false, pushBuild(), nil},
		{"cel step scope fires", "kind: cel\nexpr: step.service && step.image.startsWith('postgres')", "a/b", false, pushBuild(),
			[]v{{"r", "p", "db", "step.service && step.image.startsWith('postgres')"}}},
		{"cel runtime error fires", "kind: cel\nexpr: build.params['missing'] == 'x'", "a/b", false, pushBuild(),
			[]v{{"r", "", "", "expression failed: no such key: missing"}}},
		{"scoped out by repo", "kind: privileged\nrepos: [octo/*]", "a/b", false, pushBuild(), nil},
		{"scoped out by event", "kind: privileged\nevents: [tag]", "a/b", false, pushBuild(), nil},
		{"scoped out by branch", "kind: privileged\nbranches: [release/*]", "a/b", false, pushBuild(), nil},
		{"scoped in by branch glob", "kind: privileged\nbranches: [ma*]", "a/b", false, pushBuild(),
			[]v{{"r", "p", "build", "privileged mode is not allowed for this repository"}}},
	}
	m, err := pipeline.Parse([]byte(ruleYAML))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := ParsePolicy([]byte("rules:\n- id: r\n  " + strings.ReplaceAll(tt.rule, "\n", "\n  ") + "\n"))
			if err != nil {
				t.Fatal(err)
			}
			var got []v
			for _, x := range p.Evaluate(context.Background(), Input{Build: tt.build, Repo: repoOf(tt.slug, tt.trusted), Manifest: m}) {
				got = append(got, v{x.Rule, x.Pipeline, x.Step, x.Message})
			}
			if d := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); d != "" {
				t.Errorf("violations (-want +got):\n%s", d)
			}
		})
	}
}

func TestParsePolicyErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"unknown field", "rules:\n- id: a\n  kind: images\n  alow: [x]\n", []string{"line 4: field alow not found"}},
		{"missing id and kind", "rules:\n- outcome: deny\n", []string{"line 2: rule 1: id is required", "kind \"\" must be one of"}},
		{"bad outcome", "rules:\n- id: a\n  kind: privileged\n  outcome: maybe\n", []string{`rule 1 (a): outcome "maybe" must be deny, block or skip`}},
		{"duplicate id", "rules:\n- id: a\n  kind: privileged\n- id: a\n  kind: devices\n", []string{"line 4: rule 2 (a): duplicate id"}},
		{"field of another kind", "rules:\n- id: a\n  kind: privileged\n  expr: 'true'\n", []string{"expr does not apply to kind privileged"}},
		{"bad glob", "rules:\n- id: a\n  kind: images\n  allow: ['[x']\n", []string{`allow: invalid glob "[x"`}},
		{"images needs globs", "rules:\n- id: a\n  kind: images\n", []string{"images needs allow or deny globs"}},
		{"cel does not compile", "rules:\n- id: a\n  kind: cel\n  expr: 'build.'\n", []string{"expr:"}},
		{"cel unknown variable", "rules:\n- id: a\n  kind: cel\n  expr: 'user.admin'\n", []string{"undeclared reference to 'user'"}},
		{"cel not bool", "rules:\n- id: a\n  kind: cel\n  expr: 'build.event'\n", []string{"must be a bool expression"}},
		{"limits empty", "rules:\n- id: a\n  kind: limits\n", []string{"limits needs max_pipelines"}},
		{"resources bad quantity", "rules:\n- id: a\n  kind: resources\n  require: [gpu]\n", []string{`require: "gpu" must be cpu or memory`}},
		{"version", "version: 2\n", []string{"version 2 is not supported"}},
		{"every problem at once", "rules:\n- id: A\n  kind: x\n- id: b\n  kind: cel\n", []string{`id "A" must be lower-case`, `kind "x" must be one of`, "cel needs expr"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParsePolicy([]byte(tt.in))
			if err == nil {
				t.Fatalf("got no error, want %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestParsePolicyEmpty(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "# no rules yet\n", "version: 1\nrules: []\n"} {
		p, err := ParsePolicy([]byte(in))
		if err != nil || len(p.Rules) != 0 {
			t.Errorf("ParsePolicy(%q) = %v, %v; want an empty policy", in, p, err)
		}
	}
}

func TestDecisionPrecedence(t *testing.T) {
	t.Parallel()
	tests := []struct {
		outcomes []string
		want     string
	}{
		{nil, DecisionValid},
		{[]string{OutcomeBlock}, DecisionBlock},
		{[]string{OutcomeBlock, OutcomeDeny}, DecisionDeny},
		{[]string{OutcomeDeny, OutcomeSkip, OutcomeBlock}, DecisionSkip},
	}
	for _, tt := range tests {
		var vs []Violation
		for i, o := range tt.outcomes {
			vs = append(vs, Violation{Rule: string(rune('a' + i)), Outcome: o})
		}
		if got := decide(vs).Outcome; got != tt.want {
			t.Errorf("decide(%v) = %s, want %s", tt.outcomes, got, tt.want)
		}
	}
}

func TestNormalizeImage(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"golang":                     "docker.io/library/golang:latest",
		"golang:1.26":                "docker.io/library/golang:1.26",
		"plugins/docker":             "docker.io/plugins/docker:latest",
		"ghcr.io/o/i:1":              "ghcr.io/o/i:1",
		"localhost/i":                "localhost/i:latest",
		"registry:5000/i":            "registry:5000/i:latest",
		"alpine@sha256:abc":          "docker.io/library/alpine@sha256:abc",
		"registry.acme.io:443/a/b/c": "registry.acme.io:443/a/b/c:latest",
	}
	for in, want := range tests {
		if got := normalizeImage(in); got != want {
			t.Errorf("normalizeImage(%q) = %q, want %q", in, got, want)
		}
	}
}

// A runaway expression is stopped by the cost limit and counts as fired.
func TestCELCostLimit(t *testing.T) {
	t.Parallel()
	l := "[0,1,2,3,4,5,6,7,8,9]"
	expr := l + ".all(a, " + l + ".all(b, " + l + ".all(c, " + l + ".all(d, " + l + ".all(e, " + l + ".all(f, " + l + ".all(g, a+b+c+d+e+f+g >= 0)))))))"
	p, err := ParsePolicy([]byte("rules:\n- id: slow\n  kind: cel\n  expr: '" + expr + "'\n"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := pipeline.Parse([]byte(goodYAML))
	if err != nil {
		t.Fatal(err)
	}
	vs := p.Evaluate(context.Background(), Input{Build: pushBuild(), Repo: repoOf("a/b", false), Manifest: m})
	if len(vs) != 1 || !strings.Contains(vs[0].Message, "cost limit exceeded") {
		t.Fatalf("got %+v, want one violation saying the cost limit was exceeded", vs)
	}
}
