package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	"go.yaml.in/yaml/v3"
)

// Units names pipelines (by stage name: "default" for an unnamed one) and
// steps of pipelines that must not run.
type Units struct {
	Pipelines map[string]bool
	Steps     map[string]map[string]bool // pipeline → step names
}

// Empty reports whether u names nothing.
func (u Units) Empty() bool { return len(u.Pipelines) == 0 && len(u.Steps) == 0 }

// UnitsOf returns the pipelines and steps a plan skipped for their path
// conditions.
func UnitsOf(p *Plan) Units {
	u := Units{Pipelines: map[string]bool{}, Steps: map[string]map[string]bool{}}
	for _, s := range p.Skipped {
		if s.Condition == "paths" {
			u.Pipelines[stageName(s.Pipeline)] = true
		}
	}
	for _, st := range p.Stages {
		for _, s := range st.SkippedSteps {
			if u.Steps[st.Name] == nil {
				u.Steps[st.Name] = map[string]bool{}
			}
			u.Steps[st.Name][s.Name] = true
		}
	}
	return u
}

func stageName(p *Pipeline) string {
	if p.Name == "" {
		return "default"
	}
	return p.Name
}

// never is the condition no build matches: Drone skips a pipeline whose
// trigger, and a runner a step whose when, has it.
func never() *yaml.Node {
	exclude := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Tag: "!!str", Value: "*", Style: yaml.DoubleQuotedStyle}}}
	event := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{str("exclude"), exclude}}
	return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{str("event"), event}}
}

// Disable rewrites data so that Drone's own rules skip the units: a
// pipeline's trigger, or a step's when, becomes `event: {exclude: ["*"]}`
// (what else they said no longer matters). Documents not concerned keep
// their text; rewritten ones are re-encoded. A signature document is kept
// as it was, so a rewritten protected file no longer verifies: callers
// rewrite only after verification, or only unprotected files.
func Disable(data []byte, u Units) ([]byte, error) {
	if u.Empty() {
		return data, nil
	}
	m, err := Parse(data)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	for _, r := range m.Resources {
		raw := r.Source().Raw
		if p, ok := r.(*Pipeline); ok {
			name := stageName(p)
			if u.Pipelines[name] || len(u.Steps[name]) > 0 {
				if raw, err = disableIn(raw, u.Pipelines[name], u.Steps[name]); err != nil {
					return nil, fmt.Errorf("pipeline %s: %w", name, err)
				}
			}
		}
		out.WriteString("---\n")
		out.Write(raw)
	}
	return out.Bytes(), nil
}

func disableIn(raw []byte, pipeline bool, steps map[string]bool) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("not a mapping")
	}
	root := doc.Content[0]
	if pipeline {
		set(root, "trigger", never())
	}
	if len(steps) > 0 {
		if i := keyIndex(root, "steps"); i >= 0 {
			if root.Content[i+1].Anchor != "" {
				return nil, errAnchored
			}
			seq := own(root.Content[i+1])
			root.Content[i+1] = seq
			for j, item := range seq.Content {
				st := resolve(item)
				if st.Kind != yaml.MappingNode {
					continue
				}
				if k := keyIndex(st, "name"); k >= 0 && steps[resolve(st.Content[k+1]).Value] {
					if item.Anchor != "" {
						return nil, errAnchored
					}
					st = own(item)
					set(st, "when", never())
					seq.Content[j] = st
				}
			}
		}
	}
	return encode(&doc)
}

func encode(doc *yaml.Node) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Prefix returns data with every pipeline renamed prefix+name (an unnamed
// one prefix+"default") and its depends_on renamed alike, so that files
// merged side by side never collide and keep their dependencies. Other
// documents keep their text; signature documents are dropped, since the
// result is nobody's signed file. Every document is preceded by "---".
func Prefix(data []byte, prefix string) ([]byte, error) {
	m, err := Parse(data)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	for _, r := range m.Resources {
		raw := r.Source().Raw
		switch r.(type) {
		case *Signature:
			continue
		case *Pipeline:
			if prefix != "" {
				if raw, err = rename(raw, prefix); err != nil {
					return nil, err
				}
			}
		}
		out.WriteString("---\n")
		out.Write(raw)
	}
	return out.Bytes(), nil
}

// rename rewrites one pipeline document's name and depends_on.
func rename(raw []byte, prefix string) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("not a mapping")
	}
	root := doc.Content[0]
	for _, k := range []string{"name", "depends_on"} {
		if i := keyIndex(root, k); i >= 0 && root.Content[i+1].Anchor != "" {
			return nil, fmt.Errorf("%s carries a YAML anchor other nodes may alias: not renamed", k)
		}
	}
	name := "default"
	if i := keyIndex(root, "name"); i >= 0 && resolve(root.Content[i+1]).Value != "" {
		name = resolve(root.Content[i+1]).Value
	}
	set(root, "name", str(prefix+name))
	if i := keyIndex(root, "depends_on"); i >= 0 {
		deps := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, d := range resolve(root.Content[i+1]).Content {
			deps.Content = append(deps.Content, str(prefix+resolve(d).Value))
		}
		root.Content[i+1] = deps
	}
	return encode(&doc)
}

func str(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v} }

// errAnchored refuses to rewrite a node other nodes may alias: the
// aliases would change too, or lose their anchor.
var errAnchored = errors.New("steps carry a YAML anchor other nodes may alias: not rewritten")

func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// own returns a copy of n (through aliases) whose own list of children can
// change without changing what other aliases of it see.
func own(n *yaml.Node) *yaml.Node {
	c := *resolve(n)
	c.Anchor = ""
	c.Content = slices.Clone(c.Content)
	return &c
}

func keyIndex(m *yaml.Node, key string) int {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return i
		}
	}
	return -1
}

// set replaces or adds key in mapping m. An explicit key wins over one a
// merge key (<<) brings in.
func set(m *yaml.Node, key string, v *yaml.Node) {
	if i := keyIndex(m, key); i >= 0 {
		m.Content[i+1] = v
		return
	}
	m.Content = append(m.Content, str(key), v)
}
