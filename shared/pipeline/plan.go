package pipeline

import "errors"

// ErrCycle is the error build message Drone records for a dependency cycle.
var ErrCycle = errors.New("Error: Dependency cycle detected in Pipeline")

// Plan is what the Drone trigger makes of a manifest for one build.
type Plan struct {
	// Stages are the matching pipelines in file order.
	Stages []Stage
	// Skipped are the pipelines whose trigger did not match.
	Skipped []Skipped
}

// Stage is one matching pipeline, ready to become a build stage.
type Stage struct {
	Pipeline *Pipeline
	// Name is the pipeline's name, "default" when it has none.
	Name string
	// DependsOn are the effective dependencies (see DAG.Dependencies).
	DependsOn []string
	// OnSuccess and OnFailure come from trigger.status.
	OnSuccess, OnFailure bool
	// SkippedSteps are the steps whose `when: paths` does not match the
	// changed files (only when Values.Changes is set).
	SkippedSteps []SkippedStep
}

// SkippedStep is a step a path condition leaves out, and why.
type SkippedStep struct {
	Name   string
	Reason string
}

// Skipped is a pipeline whose trigger did not match and the first
// condition that failed (branch, event, action, ref, repo, target, cron,
// then paths when Values.Changes is set).
type Skipped struct {
	Pipeline  *Pipeline
	Condition string
	// Reason says why in words, for path conditions ("no change under
	// services/api/**").
	Reason string
}

// Plan matches every pipeline's trigger against v and orders the matching
// ones, as Drone's trigger does (drone-protocol.md §4.2 steps 13-18). A
// cycle among the pipelines' dependencies is an *Error wrapping ErrCycle.
//
// Drone's quirk is kept: the graph is keyed by the raw name but looked up
// by the stage name, so an unnamed pipeline ("default") has no
// dependencies.
func (m *Manifest) Plan(v Values) (*Plan, error) {
	dag := NewDAG()
	plan := &Plan{}
	for _, p := range m.Pipelines() {
		vx := dag.Add(p.Name, p.DependsOn...)
		vx.Skip = true
		if ok, failed := p.Trigger.Match(v); !ok {
			plan.Skipped = append(plan.Skipped, Skipped{Pipeline: p, Condition: failed})
			continue
		}
		if ok, why := p.Trigger.Paths.Match(v.Changes); !ok {
			plan.Skipped = append(plan.Skipped, Skipped{Pipeline: p, Condition: "paths", Reason: why})
			continue
		}
		vx.Skip = false
		name := p.Name
		if name == "" {
			name = "default"
		}
		plan.Stages = append(plan.Stages, Stage{
			Pipeline:     p,
			Name:         name,
			OnSuccess:    p.Trigger.OnSuccess(),
			OnFailure:    p.Trigger.OnFailure(),
			SkippedSteps: skippedSteps(p, v.Changes),
		})
	}
	if c := dag.Cycle(); c != nil {
		return nil, &Error{Rule: "dependency-cycle", Message: ErrCycle.Error(), Pipeline: c[0], err: ErrCycle}
	}
	for i := range plan.Stages {
		plan.Stages[i].DependsOn = dag.Dependencies(plan.Stages[i].Name)
	}
	return plan, nil
}

// skippedSteps evaluates the steps' path conditions; the runner evaluates
// every other when condition.
func skippedSteps(p *Pipeline, ch *Changes) []SkippedStep {
	if ch == nil {
		return nil
	}
	var out []SkippedStep
	for _, s := range p.Steps {
		if ok, why := s.When.Paths.Match(ch); !ok {
			out = append(out, SkippedStep{Name: s.Name, Reason: why})
		}
	}
	return out
}
