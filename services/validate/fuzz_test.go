package validate

import (
	"context"
	"testing"
)

// FuzzCheck runs parse, lint and a policy of every rule kind over any
// input: nothing may panic, and every outcome is one of the four.
func FuzzCheck(f *testing.F) {
	p, err := ParsePolicy([]byte(benchPolicy + `- id: every-gate
  kind: host_volumes
- id: ports
  kind: host_ports
- id: dev
  kind: devices
- id: net
  kind: network_mode
- id: pipes
  kind: cel
  expr: pipeline.volumes.exists(v, v.host != "") || size(pipeline.steps) > 3
`))
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(ruleYAML))
	f.Add([]byte(goodYAML))
	f.Add([]byte("kind: pipeline\nsteps:\n- name: a\n  environment: {A: ~, B: {from_secret: b}}\n  settings: {x: ~, y: [1]}\n  resources: {}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d := Check(context.Background(), p, pushBuild(), repoOf("a/b", false), string(data), CheckOptions{Lint: true})
		switch d.Outcome {
		case DecisionValid, DecisionDeny, DecisionBlock, DecisionSkip:
		default:
			t.Fatalf("outcome %q", d.Outcome)
		}
		_ = d.Message()
	})
}
