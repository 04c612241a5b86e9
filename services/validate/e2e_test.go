package validate

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/drone/drone-go/drone"
	"github.com/drone/drone-go/plugin/validator"
)

const e2ePolicy = `version: 1
rules:
- id: approved-images
  kind: images
  allow: ["golang:*", "alpine:*", "registry.acme.io/**"]
  deny: ["**/*:latest"]
- id: docs-skip
  kind: cel
  outcome: skip
  expr: 'build.message.contains("[docs only]")'
- id: prod-approval
  kind: cel
  outcome: block
  events: [promote]
  expr: 'build.deploy_to == "production"'
`

const goodYAML = `kind: pipeline
name: build
steps:
- name: test
  image: golang:1.26
  commands: [go test ./...]
`

func TestEndToEndDroneClient(t *testing.T) {
	t.Parallel()
	f := start(t, e2ePolicy)
	promote := pushBuild()
	promote.Event, promote.Deploy = "promote", "production"
	docs := pushBuild()
	docs.Message = "fix typo [docs only]"
	tests := []struct {
		name    string
		yaml    string
		build   drone.Build
		want    error
		wantMsg []string
	}{
		{"valid build", goodYAML, pushBuild(), nil, nil},
		{"skip rule", goodYAML, docs, validator.ErrSkip, nil},
		{"block rule", goodYAML, promote, validator.ErrBlock, nil},
		{"deny names rule and step", strings.Replace(goodYAML, "golang:1.26", "evil/miner:1", 1), pushBuild(), errDeny,
			[]string{`rule \"approved-images\"`, `pipeline \"build\"`, `step \"test\"`, `image \"evil/miner:1\" is not in the allowed list`}},
		{"deny lists every violation", goodYAML + "- name: two\n  image: alpine\n- name: three\n  image: busybox:1\n", pushBuild(), errDeny,
			[]string{`step \"two\" (line 7): image \"alpine\" is denied by \"**/*:latest\"`, `step \"three\" (line 9): image \"busybox:1\" is not in the allowed list`}},
		{"lint error", goodYAML + "- name: test\n  image: golang:1.26\n", pushBuild(), errDeny,
			[]string{`rule \"lint/duplicate-step\"`, `linter: duplicate step names`}},
		{"parse error", "kind: pipeline\nsteps: [\n", pushBuild(), errDeny, []string{`invalid pipeline file (line 2)`}},
		{"unconverted script", "# hangar: kind=starlark path=octo/api/default.star\ndef main(ctx):\n  return {}\n", pushBuild(), errDeny,
			[]string{`octo/api/default.star is a starlark script that was not converted`}},
		{"trailing separator", goodYAML + "---\n", pushBuild(), errDeny, []string{"yaml: missing kind attribute"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := f.validate(t, tt.yaml, tt.build, repoOf("octo/api", false))
			switch tt.want {
			case nil, validator.ErrSkip, validator.ErrBlock:
				if err != tt.want {
					t.Fatalf("got %v, want %v", err, tt.want)
				}
				return
			}
			var de *drone.Error
			if !errors.As(err, &de) || de.Code != 400 {
				t.Fatalf("got %v, want a drone.Error with code 400", err)
			}
			var body drone.Error
			if err := json.Unmarshal([]byte(de.Message), &body); err != nil || body.Code != 400 {
				t.Fatalf("body %q: want drone-go's {\"code\":400,\"message\":…} shape (%v)", de.Message, err)
			}
			for _, w := range tt.wantMsg {
				if !strings.Contains(de.Message, w) {
					t.Errorf("message %s does not contain %s", de.Message, w)
				}
			}
		})
	}
}

var errDeny = errors.New("deny")

func TestAuditLine(t *testing.T) {
	t.Parallel()
	f := start(t, e2ePolicy)
	b := pushBuild()
	b.Number = 42
	_ = f.validate(t, strings.Replace(goodYAML, "golang:1.26", "evil:1", 1), b, repoOf("octo/api", false))
	var found bool
	for _, line := range strings.Split(f.logs.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil || rec["msg"] != "audit" {
			continue
		}
		found = true
		want := map[string]any{"repo": "octo/api", "build": float64(42), "event": "push", "decision": "deny", "rules": []any{"approved-images"}}
		for k, v := range want {
			if got, _ := json.Marshal(rec[k]); string(got) != mustJSON(v) {
				t.Errorf("audit %s = %s, want %s", k, got, mustJSON(v))
			}
		}
	}
	if !found {
		t.Fatalf("no audit line in logs:\n%s", f.logs.String())
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
