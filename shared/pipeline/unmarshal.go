package pipeline

import "go.yaml.in/yaml/v3"

// The short forms below mirror drone-yaml's UnmarshalYAML methods: each
// accepts the same shapes and, where Drone ignores a decoding error, so do
// these (the Condition quirk in particular).

// UnmarshalYAML accepts an image name or the full build mapping.
func (b *Build) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		return n.Decode(&b.Image)
	}
	type plain Build
	return n.Decode((*plain)(b))
}

// UnmarshalYAML accepts an image name or {image}.
func (p *Push) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		return n.Decode(&p.Image)
	}
	type plain Push
	return n.Decode((*plain)(p))
}

// UnmarshalYAML accepts a port number or {port, host, protocol}.
func (p *Port) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		return n.Decode(&p.Port)
	}
	type plain Port
	return n.Decode((*plain)(p))
}

// UnmarshalYAML accepts a literal or {from_secret: name}.
func (v *Variable) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		return n.Decode(&v.Value)
	}
	var d struct {
		FromSecret string `yaml:"from_secret"`
	}
	err := n.Decode(&d)
	v.FromSecret = d.FromSecret
	return err
}

// UnmarshalYAML accepts any value or {from_secret: name}.
func (p *Parameter) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.MappingNode {
		var d struct {
			FromSecret string `yaml:"from_secret"`
		}
		if err := n.Decode(&d); err == nil && d.FromSecret != "" {
			p.FromSecret = d.FromSecret
			return nil
		}
	}
	return n.Decode(&p.Value)
}

// UnmarshalYAML accepts a scalar (an include list of one), a sequence (an
// include list) or {include, exclude}. Like Drone it ignores what fails to
// decode: `branch: {include: master}` has a scalar where a list belongs,
// so the include is dropped and the condition matches everything.
func (c *Condition) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		var s string
		if n.Decode(&s) == nil {
			c.Include = []string{s}
		}
		return nil
	}
	var list []string
	var obj struct {
		Include []string `yaml:"include"`
		Exclude []string `yaml:"exclude"`
	}
	switch n.Kind {
	case yaml.SequenceNode:
		_ = n.Decode(&list)
	case yaml.MappingNode:
		_ = n.Decode(&obj)
	case yaml.AliasNode:
		return c.UnmarshalYAML(n.Alias)
	}
	c.Exclude = obj.Exclude
	c.Include = append(obj.Include, list...)
	return nil
}
