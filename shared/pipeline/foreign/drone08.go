package foreign

import (
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// legacyStep is a converted 0.8 container with what still depends on the
// matrix axis: its 0.8 group and its when.matrix constraint.
type legacyStep struct {
	out    *outStep
	group  string
	matrix *matrixCond
	line   int
}

// drone08 is a 0.8 file read into the parts a pipeline is made of.
type drone08 struct {
	conv
	pipe     outPipeline
	clone    []*legacyStep
	steps    []*legacyStep
	services []*legacyStep
	volumes  volumeNames
	secrets  []any
	matrix   *yaml.Node
}

// convertDrone08 converts a 0.8 file: one pipeline "default", or one per
// matrix entry named matrix-1, matrix-2… as Drone names them.
func convertDrone08(data []byte, l Limits) (*Result, error) {
	root, err := load(Drone08, data)
	if err != nil {
		return nil, err
	}
	d := &drone08{conv: conv{format: Drone08}}
	d.pipe = outPipeline{Kind: "pipeline", Name: "default"}
	for _, kv := range pairs(root) {
		d.topLevel(kv)
	}
	d.cloneSection()
	axes, err := d.axes(l)
	if err != nil {
		return nil, err
	}
	if err := d.err(); err != nil {
		return nil, err
	}
	var docs []any
	for i, axis := range axes {
		p, err := d.expand(axis, i, len(axes) > 1 || d.matrix != nil)
		if err != nil {
			return nil, err
		}
		docs = append(docs, p)
	}
	docs = append(docs, d.secrets...)
	out, err := emit(docs)
	if err != nil {
		return nil, &Error{Format: Drone08, Problems: []Problem{{Key: "output", Message: err.Error()}}}
	}
	return &Result{Format: Drone08, YAML: out, Warnings: d.warnings}, nil
}

func (d *drone08) topLevel(kv pair) {
	key := kv.key.Value
	switch key {
	case "pipeline":
		d.steps = d.containers(key, kv.val)
	case "services":
		d.services = d.containers(key, kv.val)
	case "clone":
		d.clone = d.containers(key, kv.val)
	case "workspace":
		w := &outWorkspace{}
		for _, f := range pairs(kv.val) {
			switch f.key.Value {
			case "base":
				w.Base = d.str("workspace.base", f.val)
			case "path":
				w.Path = d.str("workspace.path", f.val)
			default:
				d.problem(f.key, "workspace."+f.key.Value, "is not a workspace setting (base, path)")
			}
		}
		d.pipe.Workspace = w
	case "branches":
		d.pipe.Trigger.set("branch", d.condition("branches", kv.val))
	case "matrix":
		d.matrix = kv.val
	case "platform":
		os, arch, _ := strings.Cut(d.str(key, kv.val), "/")
		d.pipe.Platform = &outPlatform{OS: os, Arch: arch}
	case "labels":
		d.pipe.Node = map[string]string{}
		for _, f := range pairs(kv.val) {
			d.pipe.Node[f.key.Value] = d.str("labels."+f.key.Value, f.val)
		}
	case "secrets":
		d.secretResources(kv.val)
	case "kind":
		d.problem(kv.key, key, "a Drone 1.x document (kind:) cannot also hold a Drone 0.8 pipeline: section")
	default:
		d.problem(kv.key, key, "is not a Drone 0.8 setting Hangar converts (pipeline, services, clone, workspace, branches, matrix, platform, labels, secrets)")
	}
}

// cloneSection keeps Drone's own clone when 0.8's clone section only
// names the default git plugin (depth and skip_verify allowed); any other
// clone section disables the clone and runs its containers first, as
// Drone's converter does.
func (d *drone08) cloneSection() {
	if len(d.clone) == 0 {
		return
	}
	if len(d.clone) == 1 {
		s := d.clone[0].out
		img := s.Image
		if i := strings.LastIndexByte(img, ':'); i > strings.LastIndexByte(img, '/') {
			img = img[:i]
		}
		img = strings.TrimPrefix(img, "docker.io/")
		native := (img == "plugins/git" || img == "drone/git") && len(s.Commands) == 0 && len(s.Command) == 0 &&
			len(s.Environment) == 0 && len(s.Volumes) == 0 && len(s.When) == 0
		c := &outClone{}
		for k, v := range s.Settings {
			switch k {
			case "depth":
				n, err := strconv.Atoi(strings.TrimSpace(toString(v)))
				c.Depth = n
				native = native && err == nil
			case "skip_verify":
				c.SkipVerify = toString(v) == "true"
			default:
				native = false
			}
		}
		if native {
			if *c != (outClone{}) {
				d.pipe.Clone = c
			}
			d.clone = nil
			return
		}
	}
	d.pipe.Clone = &outClone{Disable: true}
}

// containers reads a 0.8 mapping of named containers, in file order.
func (d *drone08) containers(section string, n *yaml.Node) []*legacyStep {
	if deref(n).Kind != yaml.MappingNode {
		if !isNull(n) {
			d.problem(n, section, "must map step names to steps")
		}
		return nil
	}
	var out []*legacyStep
	for _, kv := range pairs(n) {
		out = append(out, d.container(section+"."+kv.key.Value, kv.key, kv.val))
	}
	return out
}

// unsupported08 are 0.8 container settings a Drone 1.x step cannot hold.
var unsupported08 = map[string]bool{
	"auth_config": true, "cap_add": true, "cap_drop": true, "cpu_quota": true, "cpuset": true,
	"cpu_shares": true, "devices": true, "tmpfs": true, "ipc_mode": true, "labels": true,
	"mem_limit": true, "memswap_limit": true, "mem_swappiness": true, "networks": true,
	"shm_size": true, "ulimits": true, "sysctls": true, "isolation": true, "name": true,
}

// container converts one 0.8 step or service. Keys 0.8 does not know are
// the plugin's settings, as 0.8 passed them.
func (d *drone08) container(path string, name, n *yaml.Node) *legacyStep {
	s := &legacyStep{out: &outStep{Name: name.Value}, line: name.Line}
	o := s.out
	if deref(n).Kind != yaml.MappingNode {
		d.problem(n, path, "must be a mapping of step settings")
		return s
	}
	for _, kv := range pairs(n) {
		key, val, at := kv.key.Value, kv.val, path+"."+kv.key.Value
		switch key {
		case "image":
			o.Image = d.str(at, val)
		case "commands":
			o.Commands = d.list(at, val)
		case "command":
			o.Command = d.list(at, val)
		case "entrypoint":
			o.Entrypoint = d.list(at, val)
		case "shell":
			o.Shell = d.str(at, val)
		case "environment":
			d.environment(at, val, o)
		case "secrets":
			d.stepSecrets(at, val, o)
		case "volumes":
			o.Volumes = d.mounts(at, val)
		case "when":
			o.When, s.matrix = d.when(at, val)
		case "group":
			s.group = d.str(at, val)
		case "detach":
			o.Detach = d.boolean(at, val)
		case "privileged":
			o.Privileged = d.boolean(at, val)
		case "pull":
			if d.boolean(at, val) {
				o.Pull = "always"
			}
		case "dns":
			o.DNS = d.list(at, val)
		case "dns_search":
			o.DNSSearch = d.list(at, val)
		case "extra_hosts":
			o.ExtraHosts = d.list(at, val)
		case "network_mode":
			o.Network = d.str(at, val)
		default:
			if unsupported08[key] {
				d.problem(kv.key, at, "has no Drone 1.x equivalent")
				continue
			}
			if o.Settings == nil {
				o.Settings = map[string]any{}
			}
			o.Settings[key] = d.value(at, val)
		}
	}
	return s
}

// environment reads a map or a list of KEY=value.
func (d *drone08) environment(path string, n *yaml.Node, o *outStep) {
	if o.Environment == nil {
		o.Environment = map[string]any{}
	}
	n = deref(n)
	switch n.Kind {
	case yaml.SequenceNode:
		for _, item := range d.list(path, n) {
			k, v, _ := strings.Cut(item, "=")
			o.Environment[k] = v
		}
	case yaml.MappingNode:
		for _, kv := range pairs(n) {
			o.Environment[kv.key.Value] = d.str(path+"."+kv.key.Value, kv.val)
		}
	default:
		if !isNull(n) {
			d.problem(n, path, "must be a mapping or a list of KEY=value")
		}
	}
}

// stepSecrets turns 0.8's secrets, `[name]` or `[{source, target}]`, into
// environment variables from secrets; the variable is the upper-cased
// target, as 0.8 exposed it.
func (d *drone08) stepSecrets(path string, n *yaml.Node, o *outStep) {
	n = deref(n)
	if n.Kind != yaml.SequenceNode {
		if !isNull(n) {
			d.problem(n, path, "must be a list of secret names or of {source, target}")
		}
		return
	}
	if o.Environment == nil {
		o.Environment = map[string]any{}
	}
	for _, item := range n.Content {
		item = deref(item)
		var source, target string
		switch item.Kind {
		case yaml.ScalarNode:
			source, target = item.Value, item.Value
		case yaml.MappingNode:
			for _, kv := range pairs(item) {
				switch kv.key.Value {
				case "source":
					source = d.str(path+".source", kv.val)
				case "target":
					target = d.str(path+".target", kv.val)
				default:
					d.problem(kv.key, path+"."+kv.key.Value, "is not source or target")
				}
			}
			if target == "" {
				target = source
			}
		}
		if source == "" {
			d.problem(item, path, "names no secret")
			continue
		}
		o.Environment[strings.ToUpper(target)] = fromSecret{source}
	}
}

// secretResources turns 0.8's top-level secrets (paths in an external
// secret store) into secret resources.
func (d *drone08) secretResources(n *yaml.Node) {
	for _, kv := range pairs(n) {
		name, at := kv.key.Value, "secrets."+kv.key.Value
		s := outSecret{Kind: "secret", Name: name}
		for _, f := range pairs(kv.val) {
			switch f.key.Value {
			case "path", "vault":
				s.Get.Path = d.str(at+"."+f.key.Value, f.val)
			case "driver":
				// Only the vault driver existed; driver_opts carry its path.
			case "driver_opts":
				for _, o := range pairs(f.val) {
					switch o.key.Value {
					case "path":
						s.Get.Path = d.str(at+".driver_opts.path", o.val)
					case "key":
						s.Get.Name = d.str(at+".driver_opts.key", o.val)
					}
				}
			default:
				d.problem(f.key, at+"."+f.key.Value, "is not a secret setting (path, vault, driver, driver_opts)")
			}
		}
		if s.Get.Path == "" {
			d.problem(kv.key, at, "has no path")
		}
		d.secrets = append(d.secrets, s)
	}
}

func toString(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case nil:
		return ""
	}
	b, _ := yaml.Marshal(v)
	return strings.TrimSpace(string(b))
}
