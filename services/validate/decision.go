package validate

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/drone/drone-go/drone"

	"github.com/hangar-ci/hangar/shared/pipeline"
	"github.com/hangar-ci/hangar/shared/wire"
)

// Decisions, as the audit log and metrics name them.
const (
	DecisionValid = "valid" // 204
	DecisionSkip  = "skip"  // 498
	DecisionBlock = "block" // 499
	DecisionDeny  = "deny"  // 400 {"code":400,"message":…}
)

// Decision is the verdict on one build and every violation behind it.
type Decision struct {
	Outcome    string
	Violations []Violation
}

// Rules returns the ids of the rules that fired, each once, in order.
func (d Decision) Rules() []string {
	var out []string
	seen := make(map[string]bool)
	for _, v := range d.Violations {
		if !seen[v.Rule] {
			seen[v.Rule] = true
			out = append(out, v.Rule)
		}
	}
	return out
}

// Message lists every violation with the decision's outcome, the text
// Drone shows as the build's error.
func (d Decision) Message() string {
	var parts []string
	for _, v := range d.Violations {
		if v.Outcome == d.Outcome {
			parts = append(parts, v.String())
		}
	}
	return fmt.Sprintf("%s by policy: %s", map[string]string{
		DecisionDeny: "denied", DecisionBlock: "approval required", DecisionSkip: "skipped",
	}[d.Outcome], strings.Join(parts, "; "))
}

// Options of Check.
type CheckOptions struct {
	// Lint applies Drone's resource-level rules, including the ones only
	// trusted repositories may break, keyed on repo.trusted.
	Lint bool
	// Limits bound the parse; zero fields are pipeline.DefaultLimits.
	Limits pipeline.Limits
}

// Check decides on one build's final YAML: it must parse, pass Drone's
// manifest lint (and with o.Lint the resource lint), and satisfy policy.
// A skip rule wins over everything (the build would not exist), then
// deny, then block.
func Check(ctx context.Context, policy *Policy, in drone.Build, repo drone.Repo, data string, o CheckOptions) Decision {
	var vs []Violation
	deny := func(rule string, err error) {
		v := Violation{Rule: rule, Outcome: OutcomeDeny, Message: err.Error()}
		var pe *pipeline.Error
		if errors.As(err, &pe) {
			v.Pipeline, v.Step = pe.Pipeline, pe.Step
			if pe.Line > 0 {
				v.Message = fmt.Sprintf("line %d: %s", pe.Line, pe.Message)
			}
		}
		vs = append(vs, v)
	}
	if kind, name, _, ok := wire.ParseScriptMark(data); ok {
		deny("parse", fmt.Errorf("%s is a %s script that was not converted: point DRONE_CONVERT_PLUGIN_ENDPOINT at Hangar's convert service", name, kind))
		return decide(vs)
	}
	m, err := pipeline.ParseLimits([]byte(data), o.Limits)
	if err != nil {
		deny("parse", err)
		return decide(vs)
	}
	if err := pipeline.LintManifest(m); err != nil {
		deny("lint/"+err.(*pipeline.Error).Rule, err)
	}
	if o.Lint {
		for _, r := range m.Resources {
			if err := pipeline.LintResource(r, repo.Trusted); err != nil {
				deny("lint/"+err.(*pipeline.Error).Rule, err)
			}
		}
	}
	if policy != nil {
		vs = append(vs, policy.Evaluate(ctx, Input{Build: in, Repo: repo, Manifest: m})...)
	}
	return decide(vs)
}

func decide(vs []Violation) Decision {
	d := Decision{Outcome: DecisionValid, Violations: vs}
	has := make(map[string]bool)
	for _, v := range vs {
		has[v.Outcome] = true
	}
	for _, o := range []string{OutcomeSkip, OutcomeDeny, OutcomeBlock} {
		if has[o] {
			d.Outcome = o
			break
		}
	}
	return d
}
