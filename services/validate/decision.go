package validate

import (
	"context"
	"errors"
	"fmt"
	"slices"
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
	out := []string{}
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
// Drone shows as the build's error: first what is wrong with the file
// itself (it does not parse, or breaks Drone's lint rules), then the
// policy's rules that fired.
func (d Decision) Message() string {
	var findings, rules []string
	for _, v := range d.Violations {
		switch {
		case v.Outcome != d.Outcome:
		case v.finding():
			findings = append(findings, v.String())
		default:
			rules = append(rules, v.String())
		}
	}
	if len(rules) > 0 {
		findings = append(findings, map[string]string{
			DecisionDeny: "denied", DecisionBlock: "approval required", DecisionSkip: "skipped",
		}[d.Outcome]+" by policy: "+strings.Join(rules, "; "))
	}
	return strings.Join(findings, "; ")
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
func Check(ctx context.Context, policy *Policy, build drone.Build, repo drone.Repo, data string, o CheckOptions) Decision {
	return analyze(data, repo.Trusted, o).decide(ctx, policy, build, repo)
}

// analysis is the part of a decision that depends only on the YAML text
// and the repository's trusted flag, so it can be shared between builds
// of the same file (see parseCache). It is never modified once made.
type analysis struct {
	m     *pipeline.Manifest // nil when the YAML does not parse
	vs    []Violation        // parse and lint findings
	views celViews           // built on first use by a CEL rule
}

func analyze(data string, trusted bool, o CheckOptions) *analysis {
	a := &analysis{}
	deny := func(rule string, err error) {
		v := Violation{Rule: rule, Outcome: OutcomeDeny, Message: err.Error()}
		var pe *pipeline.Error
		if errors.As(err, &pe) {
			v.Pipeline, v.Step, v.Line = pe.Pipeline, pe.Step, pe.Line
		}
		a.vs = append(a.vs, v)
	}
	if kind, name, _, ok := wire.ParseScriptMark(data); ok {
		deny(ruleParse, fmt.Errorf("%s is a %s script that was not converted: point DRONE_CONVERT_PLUGIN_ENDPOINT at Hangar's convert service", name, kind))
		return a
	}
	m, err := pipeline.ParseLimits([]byte(data), o.Limits)
	if err != nil {
		deny(ruleParse, err)
		return a
	}
	a.m = m
	if err := pipeline.LintManifest(m); err != nil {
		deny("lint/"+err.(*pipeline.Error).Rule, err)
	}
	if o.Lint {
		for _, r := range m.Resources {
			if err := pipeline.LintResource(r, trusted); err != nil {
				deny("lint/"+err.(*pipeline.Error).Rule, err)
			}
		}
	}
	return a
}

// decide adds the policy's violations for one build to the analysis.
func (a *analysis) decide(ctx context.Context, policy *Policy, build drone.Build, repo drone.Repo) Decision {
	vs := slices.Clone(a.vs)
	if policy != nil && a.m != nil {
		vs = append(vs, policy.Evaluate(ctx, Input{Build: build, Repo: repo, Manifest: a.m, views: &a.views})...)
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
