package foreign

import (
	"strings"
	"testing"

	"github.com/hangar-ci/hangar/shared/pipeline"
)

// TestGitLabConstructs converts each supported GitLab CI construct, as
// GitLab's documentation describes it, and checks the Drone 1.x result.
func TestGitLabConstructs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		src   string
		check func(t *testing.T, m *pipeline.Manifest)
	}{
		{
			name: "image and services, top level and per job",
			src:  "image: golang:1.22\nservices: [postgres:16, {name: 'reg.io/lib/redis:7', alias: cache}, 'tutum/wordpress@sha256:ab']\na:\n  script: x\nb:\n  image: {name: node:20, entrypoint: ['']}\n  services: [mysql]\n  script: y\n",
			check: func(t *testing.T, m *pipeline.Manifest) {
				a, b := pipelineNamed(t, m, "a"), pipelineNamed(t, m, "b")
				if a.Steps[0].Image != "golang:1.22" || names(a.Services) != "postgres,cache,tutum-wordpress" || a.Services[1].Image != "reg.io/lib/redis:7" {
					t.Errorf("a: image %s services %s", a.Steps[0].Image, names(a.Services))
				}
				if b.Steps[0].Image != "node:20" || names(b.Services) != "mysql" {
					t.Errorf("b: image %s services %s", b.Steps[0].Image, names(b.Services))
				}
			},
		},
		{
			name:  "stage order becomes dependencies",
			src:   "image: a\nstages: [prepare, check, ship]\nship:\n  stage: ship\n  script: s\nfmt:\n  stage: check\n  script: f\nvet:\n  stage: check\n  script: v\ngen:\n  stage: prepare\n  script: g\nfirst:\n  stage: .pre\n  script: p\nlast:\n  stage: .post\n  script: l\n",
			check: wantGraph("first<,gen<first,fmt<gen,vet<gen,ship<fmt+vet,last<ship"),
		},
		{
			name:  "default stages and the test stage by default",
			src:   "image: a\ndeploy:\n  stage: deploy\n  script: d\nunit:\n  script: u\nbuild:\n  stage: build\n  script: b\n",
			check: wantGraph("build<,unit<build,deploy<unit"),
		},
		{
			name: "scripts, before and after",
			src:  "image: a\nbefore_script: [setup]\nafter_script: [teardown]\nx:\n  script: [[one, two], three]\ny:\n  before_script: []\n  after_script: [own]\n  script: run\n",
			check: func(t *testing.T, m *pipeline.Manifest) {
				x, y := pipelineNamed(t, m, "x"), pipelineNamed(t, m, "y")
				if got := strings.Join(x.Steps[0].Commands, ";"); got != "setup;one;two;three" {
					t.Errorf("x commands: got %s", got)
				}
				after := step(t, x, "after_script")
				if strings.Join(after.Commands, ";") != "teardown" || after.Failure != "ignore" || cond(after.When.Status) != "success,failure|" {
					t.Errorf("x after_script: got %+v", after)
				}
				if got := strings.Join(y.Steps[0].Commands, ";"); got != "run" || strings.Join(step(t, y, "after_script").Commands, ";") != "own" {
					t.Errorf("y: got commands %s", got)
				}
			},
		},
		{
			name: "variables merged, job wins, $ left to the shell",
			src:  "image: a\nvariables:\n  A: top\n  B: {value: '$HOME/b', description: d}\n  N: 3\nx:\n  variables: {A: job}\n  script: echo ${A} $B\n",
			check: func(t *testing.T, m *pipeline.Manifest) {
				s := pipelineNamed(t, m, "x").Steps[0]
				if env(s, "A") != "job" || env(s, "B") != "$$HOME/b" || env(s, "N") != "3" || s.Commands[0] != "echo $${A} $$B" {
					t.Errorf("got env A=%s B=%s N=%s, command %q", env(s, "A"), env(s, "B"), env(s, "N"), s.Commands[0])
				}
			},
		},
		{
			name: "only and except",
			src: `image: a
plain:
  script: x
refs:
  script: x
  only: [main, tags]
keyword:
  script: x
  only: {refs: [merge_requests]}
mr:
  script: x
  only: [main, merge_requests]
sources:
  script: x
  only: [schedules, web]
except:
  script: x
  except: [branches, schedules, 'release/1.0']
`,
			check: func(t *testing.T, m *pipeline.Manifest) {
				for _, c := range []struct{ name, event, ref string }{
					{"plain", "push,tag,cron,custom|", "|"},
					{"refs", "push,tag,cron,custom|", "refs/heads/main,refs/tags/main,refs/tags/**|"},
					{"keyword", "pull_request|", "|"},
					{"mr", "push,tag,cron,custom,pull_request|", "refs/heads/main,refs/tags/main,refs/merge-requests/**,refs/pull/**|"},
					{"sources", "cron,custom|", "|"},
					{"except", "push,tag,cron,custom|cron", "|refs/heads/**,refs/heads/release/1.0,refs/tags/release/1.0"},
				} {
					tr := pipelineNamed(t, m, c.name).Trigger
					if cond(tr.Event) != c.event || cond(tr.Ref) != c.ref {
						t.Errorf("%s: got event %s ref %s, want %s and %s", c.name, cond(tr.Event), cond(tr.Ref), c.event, c.ref)
					}
				}
			},
		},
		{
			name: "when: manual is a promote-only pipeline; always and on_failure",
			src:  "image: a\nbuild:\n  script: b\ndeploy:\n  stage: deploy\n  script: d\n  when: manual\n  environment: production\nalert:\n  stage: deploy\n  script: page\n  when: on_failure\nclean:\n  stage: deploy\n  script: c\n  when: always\n",
			check: func(t *testing.T, m *pipeline.Manifest) {
				d := pipelineNamed(t, m, "deploy").Trigger
				if cond(d.Event) != "promote|" || cond(d.Target) != "production|" {
					t.Errorf("deploy: got event %s target %s", cond(d.Event), cond(d.Target))
				}
				if a := pipelineNamed(t, m, "alert").Trigger; !a.OnFailure() || a.OnSuccess() {
					t.Errorf("alert: on_failure %v on_success %v, want true/false", a.OnFailure(), a.OnSuccess())
				}
				if c := pipelineNamed(t, m, "clean").Trigger; !c.OnFailure() || !c.OnSuccess() {
					t.Errorf("clean: on_failure %v on_success %v, want both", c.OnFailure(), c.OnSuccess())
				}
			},
		},
		{
			name: "rules in their simple forms",
			src: `image: a
release:
  script: x
  rules:
    - if: '$CI_COMMIT_BRANCH == "main"'
    - if: $CI_COMMIT_TAG
mr:
  script: x
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
always:
  script: x
  rules:
    - if: "$CI_COMMIT_REF_NAME == 'dev'"
      when: never
    - when: always
ship:
  stage: deploy
  script: x
  rules:
    - if: '$CI_COMMIT_BRANCH == "main"'
      when: manual
default-branch:
  script: x
  rules:
    - if: $CI_COMMIT_REF_NAME == $CI_DEFAULT_BRANCH
api:
  script: x
  rules:
    - if: $CI_COMMIT_TAG
      when: never
    - changes: ['services/api/**/*', go.mod]
mr-docs:
  script: x
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
      changes: {paths: ['docs/**']}
only-changes:
  script: x
  only:
    refs: [main]
    changes: ['*.md']
`,
			check: func(t *testing.T, m *pipeline.Manifest) {
				for _, c := range []struct{ name, event, ref, status string }{
					{"release", "push,tag,cron,custom|", "refs/heads/main,refs/tags/**|", "|"},
					{"mr", "pull_request|", "|", "|"},
					{"always", "push,tag,cron,custom|", "|refs/heads/dev,refs/tags/dev", "success,failure|"},
					{"ship", "promote|", "refs/heads/main|", "|"},
					{"default-branch", "push,tag,cron,custom|", "refs/heads/main,refs/tags/main|", "|"},
					{"api", "push,tag,cron,custom|", "|refs/tags/**", "|"},
					{"mr-docs", "pull_request|", "|", "|"},
					{"only-changes", "push,tag,cron,custom|", "refs/heads/main,refs/tags/main|", "|"},
				} {
					tr := pipelineNamed(t, m, c.name).Trigger
					if cond(tr.Event) != c.event || cond(tr.Ref) != c.ref || cond(tr.Status) != c.status {
						t.Errorf("%s: got event %s ref %s status %s, want %s, %s, %s", c.name, cond(tr.Event), cond(tr.Ref), cond(tr.Status), c.event, c.ref, c.status)
					}
				}
				for name, want := range map[string]string{"api": "services/api/**/*,go.mod|", "mr-docs": "docs/**|", "only-changes": "*.md|", "release": "|"} {
					p := pipelineNamed(t, m, name).Trigger.Paths
					if got := strings.Join(p.Include, ",") + "|" + strings.Join(p.Exclude, ","); got != want {
						t.Errorf("%s paths: got %s, want %s", name, got, want)
					}
				}
			},
		},
		{
			name:  "needs replace the stage order",
			src:   "image: a\nstages: [build, test, deploy]\nlint:\n  stage: test\n  needs: []\n  script: l\nunit:\n  stage: test\n  needs: [{job: compile, artifacts: false}, fmt]\n  script: u\ncompile:\n  stage: build\n  script: c\nfmt:\n  stage: test\n  script: f\nship:\n  stage: deploy\n  script: s\n",
			check: wantGraph("compile<,lint<,fmt<compile,unit<compile+fmt,ship<lint+unit+fmt"),
		},
		{
			name: "extends merges templates as GitLab does",
			src: `image: a
.base:
  image: golang:1.22
  variables: {A: base, B: base}
  before_script: [setup]
.tests:
  extends: .base
  variables: {B: tests, C: tests}
  script: [go test]
unit:
  extends: [.tests]
  variables: {C: unit}
race:
  extends: [unit, .other]
  script: [go test -race]
.other:
  allow_failure: true
`,
			check: func(t *testing.T, m *pipeline.Manifest) {
				u, r := pipelineNamed(t, m, "unit").Steps[0], pipelineNamed(t, m, "race").Steps[0]
				if u.Image != "golang:1.22" || env(u, "A") != "base" || env(u, "B") != "tests" || env(u, "C") != "unit" || strings.Join(u.Commands, ";") != "setup;go test" {
					t.Errorf("unit: got image %s A=%s B=%s C=%s commands %v", u.Image, env(u, "A"), env(u, "B"), env(u, "C"), u.Commands)
				}
				if strings.Join(r.Commands, ";") != "setup;go test -race" || r.Failure != "ignore" || env(r, "C") != "unit" {
					t.Errorf("race: got commands %v failure %q C=%s", r.Commands, r.Failure, env(r, "C"))
				}
			},
		},
		{
			name: "allow_failure, hidden templates and anchors",
			src:  "image: a\n.tpl: &tpl\n  allow_failure: true\n  variables: {T: '1'}\nx:\n  <<: *tpl\n  script: s\n",
			check: func(t *testing.T, m *pipeline.Manifest) {
				if len(m.Pipelines()) != 1 {
					t.Fatalf("got %d pipelines, want 1 (the template is not a job)", len(m.Pipelines()))
				}
				s := pipelineNamed(t, m, "x").Steps[0]
				if s.Failure != "ignore" || env(s, "T") != "1" {
					t.Errorf("got failure %q T=%s", s.Failure, env(s, "T"))
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, _ := converted(t, ".gitlab-ci.yml", tt.src)
			tt.check(t, m)
		})
	}
}

// TestGitLabRulesRefused names each rule beyond the simple forms.
func TestGitLabRulesRefused(t *testing.T) {
	t.Parallel()
	src := `image: a
a:
  script: x
  rules:
    - if: $A && $B
    - if: $CI_COMMIT_BRANCH
      changes: [go.mod]
b:
  script: x
  rules:
    - if: $CI_COMMIT_TAG
    - if: $CI_COMMIT_BRANCH == "x"
      when: never
c:
  script: x
  rules:
    - if: $CI_COMMIT_TAG
      when: manual
    - if: $CI_COMMIT_BRANCH
d:
  script: x
  only: [main]
  rules:
    - when: never
e:
  script: x
  rules:
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
f:
  script: x
  except:
    changes: [docs/*]
`
	refused(t, ".gitlab-ci.yml", src,
		`line 5: a.rules.if: "$A && $B" is not supported`,
		"line 7: a.rules.changes: is only supported in the last rule, when it is the only one that runs the job",
		"line 12: b.rules: rule 2: a `when: never` rule after a rule that runs the job",
		"line 19: c.rules: rule 2: `when: on_success` differs from an earlier rule's `when: manual`",
		"line 24: d.rules: cannot be used with only or except",
		"line 24: d.rules: no rule runs the job",
		`line 28: e.rules.if: "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH" needs the repository's default branch, which is not known here`,
		"line 32: f.except.changes: cannot be converted: GitLab leaves the job out when any changed file matches")
}

// TestGitLabNeedsRefused names unknown and cyclic needs.
func TestGitLabNeedsRefused(t *testing.T) {
	t.Parallel()
	refused(t, ".gitlab-ci.yml", "image: a\na:\n  needs: [b]\n  script: x\nb:\n  needs: [a]\n  script: y\nc:\n  needs: [nope, {job: a, project: x/y}]\n  script: z\n",
		"line 9: c.needs: \"nope\" is not a job of this file",
		"line 9: c.needs.project: is not supported",
		"a.needs: is part of a cycle of needs", "b.needs: is part of a cycle of needs")
}

// TestGitLabExtendsRefused names unknown templates and cycles.
func TestGitLabExtendsRefused(t *testing.T) {
	t.Parallel()
	refused(t, ".gitlab-ci.yml", "image: a\n.x:\n  extends: .y\n.y:\n  extends: .x\nj:\n  extends: [.x, .nope]\n  script: s\n",
		"extends: is a cycle or nests deeper than 11 levels",
		`line 7: j.extends: ".nope" is not a job or template of this file`)
}

// TestGitLabRefused names every unsupported key with its line in one
// error, never dropping one silently.
func TestGitLabRefused(t *testing.T) {
	t.Parallel()
	src := `include:
  - local: ci/base.yml
cache:
  paths: [vendor]
build:
  script: make
  artifacts:
    paths: [bin]
  rules:
    - if: '$CI_COMMIT_BRANCH == "main"'
      changes: [go.mod]
  tags: [docker]
  only:
    variables: [$X]
  when: delayed
test:
  stage: verify
  script: make test
  only: ['/^release-.*$/']
lonely:
  image: a
`
	e := refused(t, ".gitlab-ci.yml", src,
		"GitLab CI: cannot convert: line 1: include: is not supported",
		"line 3: cache: is not supported",
		"line 7: build.artifacts: is not supported",
		"line 12: build.tags: is not supported",
		"line 14: build.only.variables: is not supported",
		`line 15: build.when: "delayed" is not supported`,
		"line 5: build: has no image and the file sets no default image",
		`line 16: test.stage: "verify" is not one of the stages`,
		"line 19: test.only: regular expression /^release-.*$/ is not supported",
		"line 20: lonely: has no script")
	if len(e.Problems) < 11 {
		t.Errorf("got %d problems, want every one: %v", len(e.Problems), e)
	}
}
