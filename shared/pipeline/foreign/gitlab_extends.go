package foreign

import "go.yaml.in/yaml/v3"

// maxExtends is GitLab's limit on nested extends.
const maxExtends = 11

// extender resolves `extends:` as GitLab does: the named jobs or hidden
// templates, each resolved first, merged in order, then the job's own
// keys; mappings are merged key by key, anything else is replaced.
type extender struct {
	g        *gitlab
	all      map[string]*yaml.Node // every top-level entry by name
	resolved map[string]*yaml.Node
	visiting map[string]bool
}

func (e *extender) resolve(name string, n *yaml.Node, depth int) *yaml.Node {
	if r, ok := e.resolved[name]; ok {
		return r
	}
	var parents []string
	var at *yaml.Node
	for _, kv := range pairs(n) {
		if kv.key.Value == "extends" {
			parents, at = e.g.list(name+".extends", kv.val), kv.key
		}
	}
	if at == nil {
		return n
	}
	if depth >= maxExtends || e.visiting[name] {
		e.g.problem(at, name+".extends", "is a cycle or nests deeper than %d levels", maxExtends)
		return n
	}
	e.visiting[name] = true
	defer delete(e.visiting, name)
	merged := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: n.Line}
	for _, p := range parents {
		base, ok := e.all[p]
		if !ok {
			e.g.problem(at, name+".extends", "%q is not a job or template of this file", p)
			continue
		}
		merged = mergeNodes(merged, e.resolve(p, base, depth+1))
	}
	own := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: n.Line}
	for _, kv := range pairs(n) {
		if kv.key.Value != "extends" {
			own.Content = append(own.Content, kv.key, kv.val)
		}
	}
	r := mergeNodes(merged, own)
	e.resolved[name] = r
	return r
}

// mergeNodes is over's keys merged into base's: nested mappings merged,
// other values replaced. Neither is changed; children are shared.
func mergeNodes(base, over *yaml.Node) *yaml.Node {
	out := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: over.Line}
	at := map[string]int{}
	for _, kv := range pairs(base) {
		at[kv.key.Value] = len(out.Content)
		out.Content = append(out.Content, kv.key, kv.val)
	}
	for _, kv := range pairs(over) {
		i, ok := at[kv.key.Value]
		if !ok {
			at[kv.key.Value] = len(out.Content)
			out.Content = append(out.Content, kv.key, kv.val)
			continue
		}
		b, o := deref(out.Content[i+1]), deref(kv.val)
		if b.Kind == yaml.MappingNode && o.Kind == yaml.MappingNode {
			out.Content[i], out.Content[i+1] = kv.key, mergeNodes(b, o)
		} else {
			out.Content[i], out.Content[i+1] = kv.key, kv.val
		}
	}
	return out
}
