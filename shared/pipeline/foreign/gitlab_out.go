package foreign

import (
	"maps"
	"strings"
)

// order puts the jobs in stage order, then file order, and gives each its
// dependencies: its needs when it has them, else every job of the nearest
// earlier stage with jobs. Jobs whose needs come later move after them, as
// Drone requires a dependency to be declared first; a cycle is a problem.
func (g *gitlab) order() ([]*glJob, map[*glJob][]string) {
	stages := append(append([]string{".pre"}, g.stages...), ".post")
	byName := map[string]*glJob{}
	var sorted []*glJob
	deps := map[*glJob][]string{}
	var prev []string
	for _, stage := range stages {
		var cur []string
		for _, j := range g.jobs {
			if j.stage != stage {
				continue
			}
			sorted, byName[j.name] = append(sorted, j), j
			deps[j] = prev
			cur = append(cur, j.name)
		}
		if len(cur) > 0 {
			prev = cur
		}
	}
	for _, j := range sorted {
		if !j.hasNeeds {
			continue
		}
		deps[j] = nil
		for _, n := range j.needs {
			if byName[n.name] == nil {
				g.problem(n.node, j.name+".needs", "%q is not a job of this file", n.name)
				continue
			}
			deps[j] = append(deps[j], n.name)
		}
	}
	out := make([]*glJob, 0, len(sorted))
	done := map[string]bool{}
	for len(out) < len(sorted) {
		progress := false
		for _, j := range sorted {
			if done[j.name] || !allDone(deps[j], done) {
				continue
			}
			out, done[j.name], progress = append(out, j), true, true
		}
		if !progress {
			for _, j := range sorted {
				if !done[j.name] {
					g.problem(nil, j.name+".needs", "is part of a cycle of needs")
				}
			}
			break
		}
	}
	return out, deps
}

func allDone(names []string, done map[string]bool) bool {
	for _, n := range names {
		if !done[n] {
			return false
		}
	}
	return true
}

// pipelines makes one pipeline per job, in the order order gives.
func (g *gitlab) pipelines(jobs []*glJob, deps map[*glJob][]string) []any {
	docs := make([]any, 0, len(jobs))
	for _, j := range jobs {
		docs = append(docs, g.pipeline(j, deps[j]))
	}
	return docs
}

func (g *gitlab) pipeline(j *glJob, deps []string) *outPipeline {
	p := &outPipeline{Kind: "pipeline", Name: j.name, DependsOn: deps, Trigger: j.trigger}
	img := g.top.image
	if j.image != nil {
		img = j.image
	}
	before, after, services := g.top.before, g.top.after, g.top.services
	if j.hasBefore {
		before = j.before
	}
	if j.hasAfter {
		after = j.after
	}
	if j.hasSvc {
		services = j.services
	}
	vars := maps.Clone(g.top.variables)
	maps.Copy(vars, j.variables)
	env := envOf(vars)
	main := &outStep{Name: j.name, Image: img.name, Commands: escape(append(append([]string(nil), before...), j.script...)),
		Environment: env, Failure: j.failure}
	p.Steps = []*outStep{main}
	// after_script runs whatever the script did, and its failure does not
	// fail the job, as on GitLab.
	if len(after) > 0 {
		p.Steps = append(p.Steps, &outStep{Name: "after_script", Image: img.name, Commands: escape(after),
			Environment: env, Failure: "ignore", When: outConditions{"status": {Include: []string{"success", "failure"}}}})
	}
	p.Services = services
	switch j.always {
	case "always":
		p.Trigger.set("status", &outCondition{Include: []string{"success", "failure"}})
	case "on_failure":
		p.Trigger.set("status", &outCondition{Include: []string{"failure"}})
	}
	return p
}

// envOf makes an environment of variables, with $ escaped as $$ so the
// runner's own ${…} substitution leaves them to the shell, as GitLab does.
func envOf(vars map[string]string) map[string]any {
	if len(vars) == 0 {
		return nil
	}
	env := make(map[string]any, len(vars))
	for k, v := range vars {
		env[k] = strings.ReplaceAll(v, "$", "$$")
	}
	return env
}

// escape doubles every $: Drone runners substitute ${NAME} and $NAME in
// the YAML before running it (unknown names become empty), GitLab leaves
// scripts to the shell.
func escape(cmds []string) []string {
	out := make([]string, len(cmds))
	for i, c := range cmds {
		out[i] = strings.ReplaceAll(c, "$", "$$")
	}
	return out
}
