package validate

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/drone/drone-go/drone"

	"github.com/hangar-ci/hangar/shared/pipeline"
)

// Input is what a policy is evaluated against.
type Input struct {
	Build    drone.Build
	Repo     drone.Repo
	Manifest *pipeline.Manifest

	// views, when set, are the manifest's CEL values shared between
	// evaluations of the same (cached) manifest.
	views *celViews
}

// celViews are the values CEL rules see for a manifest's pipelines and
// containers. They depend on the manifest alone, so a cached analysis
// builds them once for every build that reuses it; CEL never modifies
// its inputs.
type celViews struct {
	once  sync.Once
	pipes []pipeView
}

type pipeView struct {
	pipeline map[string]any
	steps    []map[string]any // steps, then services
}

func (v *celViews) get(m *pipeline.Manifest) []pipeView {
	v.once.Do(func() {
		for _, p := range m.Pipelines() {
			pv := pipeView{pipeline: pipelineMap(p)}
			for _, c := range p.Steps {
				pv.steps = append(pv.steps, stepMap(c, false))
			}
			for _, c := range p.Services {
				pv.steps = append(pv.steps, stepMap(c, true))
			}
			v.pipes = append(v.pipes, pv)
		}
	})
	return v.pipes
}

// Violation is one rule that fired, and where.
type Violation struct {
	Rule     string
	Outcome  string
	Pipeline string
	Step     string
	// Line is the file line of the step, else of the pipeline; 0 for a
	// rule about the whole build.
	Line    int
	Message string
}

// ruleParse is the violation of a file that does not parse (or passes a
// parse limit): no policy rule, but the file itself.
const ruleParse = "parse"

// finding reports whether the violation is a problem of the file itself
// (parse or Drone's lint) rather than a policy rule.
func (v Violation) finding() bool {
	return v.Rule == ruleParse || strings.HasPrefix(v.Rule, "lint/")
}

func (v Violation) String() string {
	var b strings.Builder
	switch {
	case v.Rule == ruleParse:
		b.WriteString("invalid pipeline file")
		if v.Line > 0 {
			fmt.Fprintf(&b, " (line %d)", v.Line)
		}
		return b.String() + ": " + v.Message
	case v.finding():
		b.WriteString("invalid pipeline: ")
	}
	fmt.Fprintf(&b, "rule %q", v.Rule)
	if v.Pipeline != "" {
		fmt.Fprintf(&b, ", pipeline %q", v.Pipeline)
	}
	if v.Step != "" {
		fmt.Fprintf(&b, ", step %q", v.Step)
	}
	if v.Line > 0 {
		fmt.Fprintf(&b, " (line %d)", v.Line)
	}
	return b.String() + ": " + v.Message
}

// Evaluate returns every violation of p by in, in rule order. A CEL rule
// that fails to evaluate counts as fired: a broken rule must not let a
// build through.
func (p *Policy) Evaluate(ctx context.Context, in Input) []Violation {
	if in.views == nil {
		in.views = &celViews{}
	}
	ev := &evaluation{ctx: ctx, in: in, slug: slugOf(in.Repo)}
	for _, r := range p.Rules {
		if !ev.applies(r) {
			continue
		}
		ev.rule(r)
	}
	return ev.out
}

type evaluation struct {
	ctx  context.Context
	in   Input
	slug string
	out  []Violation
	// vars are built once per evaluation, and only if a CEL rule runs.
	build, repo map[string]any
	// full holds fully qualified images: most steps share a few images.
	full map[string]string
}

func (ev *evaluation) normalized(image string) string {
	if f, ok := ev.full[image]; ok {
		return f
	}
	if ev.full == nil {
		ev.full = make(map[string]string)
	}
	f := normalizeImage(image)
	ev.full[image] = f
	return f
}

func slugOf(r drone.Repo) string {
	if r.Slug != "" {
		return r.Slug
	}
	return r.Namespace + "/" + r.Name
}

func (ev *evaluation) applies(r *Rule) bool {
	return globsMatch(r.Repos, ev.slug) && globsMatch(r.Events, ev.in.Build.Event) && globsMatch(r.Branches, ev.in.Build.Target)
}

// exempt reports whether the repository may use the feature a gated rule
// guards: it is listed, or trusted when the rule allows trusted ones.
func (ev *evaluation) exempt(r *Rule) bool {
	listed := len(r.AllowRepos) > 0 && globsMatch(r.AllowRepos, ev.slug)
	return listed || (r.AllowTrusted && ev.in.Repo.Trusted)
}

// globsMatch reports whether v matches one of globs; no globs match all.
func globsMatch(globs []string, v string) bool {
	if len(globs) == 0 {
		return true
	}
	for _, g := range globs {
		if ok, _ := doublestar.Match(g, v); ok {
			return true
		}
	}
	return false
}

func (ev *evaluation) add(r *Rule, p *pipeline.Pipeline, c *pipeline.Container, format string, args ...any) {
	v := Violation{Rule: r.ID, Outcome: r.Outcome, Message: fmt.Sprintf(format, args...)}
	if r.Message != "" {
		v.Message = r.Message + " (" + v.Message + ")"
	}
	if p != nil {
		v.Pipeline, v.Line = p.Name, p.Line
	}
	if c != nil {
		v.Step, v.Line = c.Name, c.Line
	}
	ev.out = append(ev.out, v)
}

// containers calls fn for every step and service of every pipeline.
func (ev *evaluation) containers(fn func(p *pipeline.Pipeline, c *pipeline.Container, service bool)) {
	for _, p := range ev.in.Manifest.Pipelines() {
		for _, c := range p.Steps {
			fn(p, c, false)
		}
		for _, c := range p.Services {
			fn(p, c, true)
		}
	}
}

func (ev *evaluation) rule(r *Rule) {
	if gatedKinds[r.Kind] && ev.exempt(r) {
		return
	}
	const notHere = "is not allowed for this repository"
	switch r.Kind {
	case KindImages:
		ev.containers(func(p *pipeline.Pipeline, c *pipeline.Container, _ bool) {
			if c.Image == "" {
				return
			}
			full := ev.normalized(c.Image)
			if g, ok := firstMatch(r.Deny, c.Image, full); ok {
				ev.add(r, p, c, "image %q is denied by %q", c.Image, g)
			} else if _, ok := firstMatch(r.Allow, c.Image, full); len(r.Allow) > 0 && !ok {
				ev.add(r, p, c, "image %q is not in the allowed list", c.Image)
			}
		})
	case KindPrivileged:
		ev.containers(func(p *pipeline.Pipeline, c *pipeline.Container, _ bool) {
			if c.Privileged {
				ev.add(r, p, c, "privileged mode %s", notHere)
			}
		})
	case KindDevices:
		ev.containers(func(p *pipeline.Pipeline, c *pipeline.Container, _ bool) {
			if len(c.Devices) > 0 {
				ev.add(r, p, c, "devices %s", notHere)
			}
		})
	case KindNetworkMode:
		ev.containers(func(p *pipeline.Pipeline, c *pipeline.Container, _ bool) {
			if c.Network != "" {
				ev.add(r, p, c, "network_mode %q %s", c.Network, notHere)
			}
		})
	case KindHostPorts:
		ev.containers(func(p *pipeline.Pipeline, c *pipeline.Container, _ bool) {
			for _, port := range c.Ports {
				if port.Host != 0 {
					ev.add(r, p, c, "host port %d %s", port.Host, notHere)
				}
			}
		})
	case KindHostVolumes:
		for _, p := range ev.in.Manifest.Pipelines() {
			for _, v := range p.Volumes {
				if v.Host != nil {
					ev.add(r, p, nil, "host volume %q (%s) %s", v.Name, v.Host.Path, notHere)
				}
			}
		}
	case KindResources:
		ev.containers(func(p *pipeline.Pipeline, c *pipeline.Container, _ bool) {
			var have pipeline.ResourceObject
			if c.Resources != nil && c.Resources.Limits != nil {
				have = *c.Resources.Limits
			}
			for _, q := range r.Require {
				if (q == "cpu" && have.CPU == "") || (q == "memory" && have.Memory == "") {
					ev.add(r, p, c, "resources.limits.%s is required", q)
				}
			}
		})
	case KindLimits:
		ev.limits(r)
	case KindCEL:
		ev.cel(r)
	}
}

func (ev *evaluation) limits(r *Rule) {
	pipes := ev.in.Manifest.Pipelines()
	if r.MaxPipelines > 0 && len(pipes) > r.MaxPipelines {
		ev.add(r, nil, nil, "%d pipelines, at most %d allowed", len(pipes), r.MaxPipelines)
	}
	total := 0
	for _, p := range pipes {
		total += len(p.Steps)
		if r.MaxSteps > 0 && len(p.Steps) > r.MaxSteps {
			ev.add(r, p, nil, "%d steps, at most %d allowed per pipeline", len(p.Steps), r.MaxSteps)
		}
	}
	if r.MaxTotalSteps > 0 && total > r.MaxTotalSteps {
		ev.add(r, nil, nil, "%d steps in all, at most %d allowed", total, r.MaxTotalSteps)
	}
}

func (ev *evaluation) cel(r *Rule) {
	if ev.build == nil {
		ev.build, ev.repo = objectMap(&ev.in.Build), objectMap(&ev.in.Repo)
	}
	check := func(p *pipeline.Pipeline, c *pipeline.Container, vars map[string]any) {
		fired, err := r.cel.eval(ev.ctx, vars)
		switch {
		case err != nil:
			ev.add(r, p, c, "expression failed: %v", err)
		case fired:
			ev.add(r, p, c, "%s", r.Expr)
		}
	}
	vars := map[string]any{"build": ev.build, "repo": ev.repo}
	if r.cel.scope == scopeBuild {
		check(nil, nil, vars)
		return
	}
	views := ev.in.views.get(ev.in.Manifest)
	for i, p := range ev.in.Manifest.Pipelines() {
		vars["pipeline"] = views[i].pipeline
		if r.cel.scope == scopePipeline {
			check(p, nil, vars)
			continue
		}
		for j, c := range append(p.Steps[:len(p.Steps):len(p.Steps)], p.Services...) {
			vars["step"] = views[i].steps[j]
			check(p, c, vars)
		}
	}
}

// firstMatch returns the first glob matching the image as written or
// fully qualified.
func firstMatch(globs []string, image, full string) (string, bool) {
	for _, g := range globs {
		if ok, _ := doublestar.Match(g, image); ok {
			return g, true
		}
		if ok, _ := doublestar.Match(g, full); ok {
			return g, true
		}
	}
	return "", false
}

// normalizeImage returns the fully qualified reference Docker pulls:
// "golang" is docker.io/library/golang:latest.
func normalizeImage(image string) string {
	name := image
	domain, rest, found := strings.Cut(name, "/")
	if !found || (!strings.ContainsAny(domain, ".:") && domain != "localhost") {
		domain, rest = "docker.io", name
	}
	if domain == "docker.io" && !strings.Contains(rest, "/") {
		rest = "library/" + rest
	}
	last := rest[strings.LastIndex(rest, "/")+1:]
	if !strings.ContainsAny(last, ":@") {
		rest += ":latest"
	}
	return domain + "/" + rest
}
