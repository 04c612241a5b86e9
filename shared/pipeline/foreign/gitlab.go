package foreign

import (
	"errors"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/hangar-ci/hangar/shared/pipeline"
)

// glDefaults are what jobs inherit from the top level or `default:`.
type glDefaults struct {
	image     *glImage
	services  []*outStep
	hasSvc    bool
	before    []string
	hasBefore bool
	after     []string
	hasAfter  bool
	variables map[string]string
}

type glImage struct {
	name string
}

// glJob is one GitLab job, read.
type glJob struct {
	glDefaults
	name, stage string
	script      []string
	needs       []need
	hasNeeds    bool
	trigger     outConditions
	manual      bool
	always      string // "", "always" or "on_failure"
	failure     string
}

// need is one job a job needs, where the file names it.
type need struct {
	name string
	node *yaml.Node
}

type gitlab struct {
	conv
	defaultBranch string
	top           glDefaults
	stages        []string
	jobs          []*glJob
}

// gitlabStages are GitLab's stages when the file declares none; .pre and
// .post always exist, first and last.
var gitlabStages = []string{"build", "test", "deploy"}

// convertGitLab converts a .gitlab-ci.yml: one Drone pipeline per job, in
// stage order, each depending on every job of the stage before, so jobs of
// one stage run in parallel, each in its own clone, as on GitLab.
func convertGitLab(data []byte, l Limits, defaultBranch string) (*Result, error) {
	root, err := load(GitLabCI, data)
	if err != nil {
		return nil, err
	}
	g := &gitlab{conv: conv{format: GitLabCI}, stages: gitlabStages, defaultBranch: defaultBranch}
	g.top.variables = map[string]string{}
	var jobs []pair
	ext := &extender{g: g, all: map[string]*yaml.Node{}, resolved: map[string]*yaml.Node{}, visiting: map[string]bool{}}
	for _, kv := range pairs(root) {
		ext.all[kv.key.Value] = kv.val
	}
	for _, kv := range pairs(root) {
		key := kv.key.Value
		switch key {
		case "image", "services", "before_script", "after_script":
			g.inherited(&g.top, key, kv)
		case "variables":
			g.variables(key, kv.val, g.top.variables)
		case "stages", "types":
			g.stages = g.list(key, kv.val)
		case "default":
			for _, f := range pairs(kv.val) {
				switch f.key.Value {
				case "image", "services", "before_script", "after_script":
					g.inherited(&g.top, "default."+f.key.Value, f)
				default:
					g.problem(f.key, "default."+f.key.Value, "is not supported (image, services, before_script, after_script are)")
				}
			}
		case "include", "workflow", "cache":
			g.problem(kv.key, key, "is not supported")
		default:
			if strings.HasPrefix(key, ".") {
				continue // a hidden job: a template for anchors, never run
			}
			jobs = append(jobs, kv)
		}
	}
	if len(jobs) > l.MaxPipelines {
		return nil, limitError(GitLabCI, jobs[l.MaxPipelines].key.Line, "%d jobs make more than the limit of %d pipelines", len(jobs), l.MaxPipelines)
	}
	// Templates are shared, not copied, when extended: the jobs as
	// resolved are bounded as a document's aliases are.
	expanded := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for i, kv := range jobs {
		if deref(kv.val).Kind == yaml.MappingNode {
			jobs[i].val = ext.resolve(kv.key.Value, kv.val, 0)
		}
		expanded.Content = append(expanded.Content, kv.key, jobs[i].val)
	}
	if err := pipeline.CheckNode(expanded, pipeline.Limits{}); err != nil {
		var pe *pipeline.Error
		errors.As(err, &pe)
		return nil, limitError(GitLabCI, 0, "jobs with their extends: %s", strings.TrimPrefix(pe.Message, "yaml: "))
	}
	for _, kv := range jobs {
		if j := g.job(kv); j != nil {
			g.jobs = append(g.jobs, j)
		}
	}
	if len(g.jobs) == 0 && len(g.problems) == 0 {
		g.problem(root, "file", "has no jobs")
	}
	jobsInOrder, deps := g.order()
	if err := g.err(); err != nil {
		return nil, err
	}
	out, err := emit(g.pipelines(jobsInOrder, deps))
	if err != nil {
		return nil, &Error{Format: GitLabCI, Problems: []Problem{{Key: "output", Message: err.Error()}}}
	}
	return &Result{Format: GitLabCI, YAML: out, Warnings: g.warnings}, nil
}

// inherited reads a key a job may also set, replacing the default.
func (g *gitlab) inherited(d *glDefaults, path string, kv pair) {
	switch kv.key.Value {
	case "image":
		d.image = g.image(path, kv.val)
	case "services":
		d.services, d.hasSvc = g.services(path, kv.val), true
	case "before_script":
		d.before, d.hasBefore = g.script(path, kv.val), true
	case "after_script":
		d.after, d.hasAfter = g.script(path, kv.val), true
	}
}

// job reads one job; nil when it is broken (the problems say why).
func (g *gitlab) job(kv pair) *glJob {
	name := kv.key.Value
	if deref(kv.val).Kind != yaml.MappingNode {
		g.problem(kv.key, name, "is neither a GitLab CI setting nor a job")
		return nil
	}
	j := &glJob{name: name, stage: "test"}
	j.variables = map[string]string{}
	var only, except, rules, when, env *yaml.Node
	for _, f := range pairs(kv.val) {
		key, at := f.key.Value, name+"."+f.key.Value
		switch key {
		case "stage":
			j.stage = g.str(at, f.val)
		case "script":
			j.script = g.script(at, f.val)
		case "image", "services", "before_script", "after_script":
			g.inherited(&j.glDefaults, at, f)
		case "variables":
			g.variables(at, f.val, j.variables)
		case "only":
			only = f.val
		case "except":
			except = f.val
		case "rules":
			rules = f.val
		case "needs":
			j.needs, j.hasNeeds = g.needs(at, f.val), true
		case "when":
			when = f.val
		case "environment":
			env = f.val
		case "allow_failure":
			if g.boolean(at, f.val) {
				j.failure = "ignore"
			}
		default:
			g.problem(f.key, at, "is not supported")
		}
	}
	if len(j.script) == 0 {
		g.problem(kv.key, name, "has no script")
	}
	if !slices.Contains(g.stages, j.stage) && j.stage != ".pre" && j.stage != ".post" {
		g.problem(kv.key, name+".stage", "%q is not one of the stages %v", j.stage, g.stages)
	}
	onlySet, exceptSet, at, whenAt := g.refSet(name+".only", only), g.refSet(name+".except", except), only, name+".only"
	w := g.str(name+".when", when)
	if rules != nil {
		if only != nil || except != nil {
			g.problem(rules, name+".rules", "cannot be used with only or except")
		}
		var rw string
		onlySet, exceptSet, rw = g.rules(name+".rules", rules)
		at, whenAt = rules, name+".rules"
		if rw != "" {
			w = rw
		}
	}
	j.trigger = g.conditions(whenAt, onlySet, exceptSet, at)
	switch w {
	case "", "on_success":
	case "always", "on_failure":
		j.always = w
	case "manual":
		j.manual = true
		j.trigger["event"] = &outCondition{Include: []string{"promote"}}
		if env != nil {
			if t := g.environment(name+".environment", env); t != "" {
				j.trigger["target"] = &outCondition{Include: []string{t}}
			}
		}
		env = nil
	default:
		g.problem(when, name+".when", "%q is not supported (on_success, on_failure, always, manual are)", w)
	}
	if env != nil {
		g.problem(env, name+".environment", "is only supported on a `when: manual` job, where it names the promotion's target")
	}
	if j.image == nil && g.top.image == nil {
		g.problem(kv.key, name, "has no image and the file sets no default image (Drone needs one)")
	}
	return j
}

// environment reads `environment: name` or `{name: …}`.
func (g *gitlab) environment(path string, n *yaml.Node) string {
	if deref(n).Kind == yaml.ScalarNode {
		return g.str(path, n)
	}
	name := ""
	for _, kv := range pairs(n) {
		switch kv.key.Value {
		case "name":
			name = g.str(path+".name", kv.val)
		default:
			g.problem(kv.key, path+"."+kv.key.Value, "is not supported (name is)")
		}
	}
	return name
}

func (g *gitlab) image(path string, n *yaml.Node) *glImage {
	if deref(n).Kind == yaml.ScalarNode {
		return &glImage{name: g.str(path, n)}
	}
	img := &glImage{}
	for _, kv := range pairs(n) {
		switch kv.key.Value {
		case "name":
			img.name = g.str(path+".name", kv.val)
		case "entrypoint":
			// [""] clears the image's entrypoint so the script runs in a
			// shell, which Drone always does for commands.
			if ep := g.list(path+".entrypoint", kv.val); len(ep) > 1 || len(ep) == 1 && ep[0] != "" {
				g.problem(kv.key, path+".entrypoint", "only [\"\"] is supported: Drone runs commands in a shell")
			}
		default:
			g.problem(kv.key, path+"."+kv.key.Value, "is not supported (name, entrypoint are)")
		}
	}
	return img
}

// services reads GitLab services; each is reachable by its alias, or by
// its image name without tag with "/" made "-", as on GitLab.
func (g *gitlab) services(path string, n *yaml.Node) []*outStep {
	n = deref(n)
	if n.Kind != yaml.SequenceNode {
		if !isNull(n) {
			g.problem(n, path, "must be a list of services")
		}
		return nil
	}
	var out []*outStep
	for _, item := range n.Content {
		s := &outStep{}
		if deref(item).Kind == yaml.ScalarNode {
			s.Image = g.str(path, item)
		} else {
			for _, kv := range pairs(item) {
				at := path + "." + kv.key.Value
				switch kv.key.Value {
				case "name":
					s.Image = g.str(at, kv.val)
				case "alias":
					s.Name = g.str(at, kv.val)
				case "entrypoint":
					s.Entrypoint = g.list(at, kv.val)
				case "command":
					s.Command = g.list(at, kv.val)
				case "variables":
					vars := map[string]string{}
					g.variables(at, kv.val, vars)
					s.Environment = envOf(vars)
				default:
					g.problem(kv.key, at, "is not supported (name, alias, entrypoint, command, variables are)")
				}
			}
		}
		if s.Name == "" {
			s.Name = serviceName(s.Image)
		}
		out = append(out, s)
	}
	return out
}

func serviceName(image string) string {
	if i := strings.IndexByte(image, '@'); i >= 0 {
		image = image[:i]
	}
	if i := strings.LastIndexByte(image, ':'); i > strings.LastIndexByte(image, '/') {
		image = image[:i]
	}
	return strings.ReplaceAll(image, "/", "-")
}

// script reads a script: a line or a list of lines, nested lists (from
// anchors) flattened as GitLab does.
func (g *gitlab) script(path string, n *yaml.Node) []string {
	n = deref(n)
	if n.Kind != yaml.SequenceNode {
		return g.list(path, n)
	}
	var out []string
	for _, item := range n.Content {
		out = append(out, g.list(path, item)...)
	}
	return out
}

// variables reads `NAME: value` or `NAME: {value: …, description: …}`.
func (g *gitlab) variables(path string, n *yaml.Node, into map[string]string) {
	for _, kv := range pairs(n) {
		at := path + "." + kv.key.Value
		if deref(kv.val).Kind != yaml.MappingNode {
			into[kv.key.Value] = g.str(at, kv.val)
			continue
		}
		for _, f := range pairs(kv.val) {
			switch f.key.Value {
			case "value":
				into[kv.key.Value] = g.str(at+".value", f.val)
			case "description", "expand":
			default:
				g.problem(f.key, at+"."+f.key.Value, "is not supported (value, description are)")
			}
		}
	}
}

// needs reads `needs: [a, {job: b, artifacts: false, optional: true}]`.
// Artifacts are not carried between pipelines (artifacts are refused);
// an optional job that does not run is skipped past, as any is in Drone.
func (g *gitlab) needs(path string, n *yaml.Node) []need {
	n = deref(n)
	if n.Kind != yaml.SequenceNode {
		g.problem(n, path, "must be a list of jobs")
		return nil
	}
	var out []need
	for _, item := range n.Content {
		if deref(item).Kind == yaml.ScalarNode {
			out = append(out, need{g.str(path, item), item})
			continue
		}
		nd := need{node: item}
		for _, kv := range pairs(item) {
			switch kv.key.Value {
			case "job":
				nd.name = g.str(path+".job", kv.val)
			case "artifacts", "optional":
				g.boolean(path+"."+kv.key.Value, kv.val)
			default:
				g.problem(kv.key, path+"."+kv.key.Value, "is not supported (job, artifacts, optional are)")
			}
		}
		out = append(out, nd)
	}
	return out
}
