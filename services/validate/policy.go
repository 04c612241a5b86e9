package validate

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	"go.yaml.in/yaml/v3"
)

// Outcomes a rule can have, from the build's point of view.
const (
	OutcomeDeny  = "deny"  // error build listing every violation (400)
	OutcomeBlock = "block" // build created with every stage blocked for approval (499)
	OutcomeSkip  = "skip"  // no build at all (498)
)

// Rule kinds of policy.yaml.
const (
	KindImages      = "images"       // allow and deny globs on step and service images
	KindPrivileged  = "privileged"   // privileged containers only for listed (or trusted) repos
	KindHostVolumes = "host_volumes" // host path volumes only for listed (or trusted) repos
	KindDevices     = "devices"      // devices only for listed (or trusted) repos
	KindNetworkMode = "network_mode" // network_mode only for listed (or trusted) repos
	KindHostPorts   = "host_ports"   // host port mappings only for listed (or trusted) repos
	KindResources   = "resources"    // resources.limits required on every container
	KindLimits      = "limits"       // maximum number of pipelines and steps
	KindCEL         = "cel"          // a CEL expression that fires the rule when true
)

// policyFile is policy.yaml as written.
type policyFile struct {
	Version int          `yaml:"version"`
	Rules   []ruleConfig `yaml:"rules"`
}

// ruleConfig is one rule as written. Which fields apply depends on Kind;
// a field set for another kind is an error, so a typo cannot silently
// weaken a rule.
type ruleConfig struct {
	ID          string   `yaml:"id"`
	Kind        string   `yaml:"kind"`
	Outcome     string   `yaml:"outcome"`
	Description string   `yaml:"description"`
	Message     string   `yaml:"message"`
	Repos       []string `yaml:"repos"`
	Events      []string `yaml:"events"`
	Branches    []string `yaml:"branches"`

	Allow []string `yaml:"allow"` // images
	Deny  []string `yaml:"deny"`  // images

	AllowRepos   []string `yaml:"allow_repos"`   // privileged, host_volumes, devices, network_mode, host_ports
	AllowTrusted bool     `yaml:"allow_trusted"` // same kinds

	Require []string `yaml:"require"` // resources: cpu, memory

	MaxPipelines  int `yaml:"max_pipelines"`   // limits
	MaxSteps      int `yaml:"max_steps"`       // limits: per pipeline
	MaxTotalSteps int `yaml:"max_total_steps"` // limits: whole manifest

	Expr string `yaml:"expr"` // cel
}

// Policy is a loaded, validated policy file.
type Policy struct {
	Rules []*Rule
}

// Rule is one validated rule, ready to evaluate.
type Rule struct {
	ruleConfig
	cel *celRule
}

// gatedKinds are the kinds that allow a feature only for some repositories.
var gatedKinds = map[string]bool{
	KindPrivileged: true, KindHostVolumes: true, KindDevices: true, KindNetworkMode: true, KindHostPorts: true,
}

var ruleID = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// MaxPolicySize bounds policy.yaml.
const MaxPolicySize = 1 << 20

// ParsePolicy parses and validates policy.yaml, reporting every problem at
// once, each with its line. An empty file is an empty policy.
func ParsePolicy(data []byte) (*Policy, error) {
	if len(data) > MaxPolicySize {
		return nil, fmt.Errorf("policy: %d bytes exceeds the limit of %d", len(data), MaxPolicySize)
	}
	var f policyFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("policy: %w", err)
	}
	// The rules' lines, for messages; the strict decode above already
	// succeeded, so this one cannot fail in a way that matters.
	var lines struct {
		Rules []yaml.Node `yaml:"rules"`
	}
	_ = yaml.Unmarshal(data, &lines)

	var errs []error
	if f.Version != 0 && f.Version != 1 {
		errs = append(errs, fmt.Errorf("policy: version %d is not supported (use 1)", f.Version))
	}
	p := &Policy{}
	ids := make(map[string]bool)
	for i := range f.Rules {
		rc := f.Rules[i]
		where := fmt.Sprintf("policy: rule %d", i+1)
		if i < len(lines.Rules) {
			where = fmt.Sprintf("policy: line %d: rule %d", lines.Rules[i].Line, i+1)
		}
		if rc.ID != "" {
			where += fmt.Sprintf(" (%s)", rc.ID)
		}
		fail := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("%s: %s", where, fmt.Sprintf(format, args...)))
		}
		r, problems := compileRule(rc)
		for _, pr := range problems {
			fail("%s", pr)
		}
		if rc.ID != "" && ids[rc.ID] {
			fail("duplicate id")
		}
		ids[rc.ID] = true
		if len(problems) == 0 {
			p.Rules = append(p.Rules, r)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return p, nil
}

// compileRule validates one rule and prepares it, returning every problem.
func compileRule(rc ruleConfig) (*Rule, []string) {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	switch {
	case rc.ID == "":
		bad("id is required")
	case !ruleID.MatchString(rc.ID):
		bad("id %q must be lower-case letters, digits, '.', '_' or '-'", rc.ID)
	}
	if rc.Outcome == "" {
		rc.Outcome = OutcomeDeny
	}
	switch rc.Outcome {
	case OutcomeDeny, OutcomeBlock, OutcomeSkip:
	default:
		bad("outcome %q must be deny, block or skip", rc.Outcome)
	}
	for field, globs := range map[string][]string{"repos": rc.Repos, "events": rc.Events, "branches": rc.Branches, "allow": rc.Allow, "deny": rc.Deny, "allow_repos": rc.AllowRepos} {
		for _, g := range globs {
			if !doublestar.ValidatePattern(g) {
				bad("%s: invalid glob %q", field, g)
			}
		}
	}
	// Fields that belong to another kind than the rule's.
	extra := map[string]bool{
		"allow": len(rc.Allow) > 0, "deny": len(rc.Deny) > 0,
		"allow_repos": len(rc.AllowRepos) > 0, "allow_trusted": rc.AllowTrusted,
		"require":       len(rc.Require) > 0,
		"max_pipelines": rc.MaxPipelines != 0, "max_steps": rc.MaxSteps != 0, "max_total_steps": rc.MaxTotalSteps != 0,
		"expr": rc.Expr != "",
	}
	own := map[string][]string{
		KindImages:    {"allow", "deny"},
		KindResources: {"require"},
		KindLimits:    {"max_pipelines", "max_steps", "max_total_steps"},
		KindCEL:       {"expr"},
	}
	for k := range gatedKinds {
		own[k] = []string{"allow_repos", "allow_trusted"}
	}
	fields, known := own[rc.Kind]
	if !known {
		bad("kind %q must be one of images, privileged, host_volumes, devices, network_mode, host_ports, resources, limits, cel", rc.Kind)
	}
	for _, f := range fields {
		delete(extra, f)
	}
	for _, f := range sortedTrue(extra) {
		if known {
			bad("%s does not apply to kind %s", f, rc.Kind)
		}
	}
	r := &Rule{ruleConfig: rc}
	switch rc.Kind {
	case KindImages:
		if len(rc.Allow) == 0 && len(rc.Deny) == 0 {
			bad("images needs allow or deny globs")
		}
	case KindResources:
		if len(rc.Require) == 0 {
			r.Require = []string{"cpu", "memory"}
		}
		for _, q := range r.Require {
			if q != "cpu" && q != "memory" {
				bad("require: %q must be cpu or memory", q)
			}
		}
	case KindLimits:
		if rc.MaxPipelines < 0 || rc.MaxSteps < 0 || rc.MaxTotalSteps < 0 {
			bad("limits must not be negative")
		}
		if rc.MaxPipelines == 0 && rc.MaxSteps == 0 && rc.MaxTotalSteps == 0 {
			bad("limits needs max_pipelines, max_steps or max_total_steps")
		}
	case KindCEL:
		if strings.TrimSpace(rc.Expr) == "" {
			bad("cel needs expr")
			break
		}
		c, err := compileCEL(rc.Expr)
		if err != nil {
			bad("expr: %v", err)
		}
		r.cel = c
	}
	return r, problems
}

func sortedTrue(m map[string]bool) []string {
	var out []string
	for _, k := range []string{"allow", "deny", "allow_repos", "allow_trusted", "require", "max_pipelines", "max_steps", "max_total_steps", "expr"} {
		if m[k] {
			out = append(out, k)
		}
	}
	return out
}
