package foreign

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/hangar-ci/hangar/shared/pipeline"
)

// conv collects what one conversion finds: problems make it fail, all at
// once; warnings go with the result.
type conv struct {
	format   Format
	problems []Problem
	warnings []Warning
}

func (c *conv) problem(n *yaml.Node, key, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	c.problems = append(c.problems, Problem{Line: line, Key: key, Message: fmt.Sprintf(format, args...)})
}

func (c *conv) warn(n *yaml.Node, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	c.warnings = append(c.warnings, Warning{Line: line, Message: fmt.Sprintf(format, args...)})
}

func (c *conv) err() error {
	if len(c.problems) == 0 {
		return nil
	}
	slices.SortStableFunc(c.problems, func(a, b Problem) int { return a.Line - b.Line })
	return &Error{Format: c.format, Problems: c.problems}
}

// load decodes the file's only document to its root mapping, bounded by
// shared/pipeline's depth and alias limits.
func load(f Format, data []byte) (*yaml.Node, error) {
	if !utf8.Valid(data) {
		return nil, limitError(f, 0, "file is not valid UTF-8")
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var root yaml.Node
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{Format: f, Problems: []Problem{{Key: "file", Message: "is empty"}}}
		}
		return nil, &Error{Format: f, Problems: []Problem{{Key: "yaml", Message: strings.TrimPrefix(err.Error(), "yaml: ")}}}
	}
	var next yaml.Node
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		return nil, &Error{Format: f, Problems: []Problem{{Line: next.Line, Key: "file", Message: "holds more than one YAML document; a " + f.Title() + " file has one"}}}
	}
	if err := pipeline.CheckNode(&root, pipeline.Limits{}); err != nil {
		var pe *pipeline.Error
		errors.As(err, &pe)
		return nil, limitError(f, pe.Line, "%s", strings.TrimPrefix(pe.Message, "yaml: "))
	}
	n := deref(&root)
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = deref(n.Content[0])
	}
	if n.Kind != yaml.MappingNode {
		return nil, &Error{Format: f, Problems: []Problem{{Line: n.Line, Key: "file", Message: "is not a mapping of keys"}}}
	}
	return n, nil
}

func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// pair is one key of a mapping.
type pair struct{ key, val *yaml.Node }

// pairs lists a mapping's keys in order with YAML merge keys ("<<: *x")
// expanded: merged keys first, then the mapping's own, which win.
func pairs(n *yaml.Node) []pair {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	var merged, own []pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Tag != "!!merge" {
			own = append(own, pair{k, v})
			continue
		}
		v = deref(v)
		srcs := []*yaml.Node{v}
		if v.Kind == yaml.SequenceNode {
			srcs = v.Content
		}
		for _, s := range srcs {
			merged = append(merged, pairs(s)...)
		}
	}
	if len(merged) == 0 {
		return own
	}
	seen := make(map[string]bool, len(own))
	for _, p := range own {
		seen[p.key.Value] = true
	}
	out := make([]pair, 0, len(merged)+len(own))
	for _, p := range merged {
		if !seen[p.key.Value] {
			seen[p.key.Value] = true
			out = append(out, p)
		}
	}
	return append(out, own...)
}

// isNull reports an absent or null value.
func isNull(n *yaml.Node) bool {
	n = deref(n)
	return n == nil || n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// str reads a scalar; anything else is a problem.
func (c *conv) str(key string, n *yaml.Node) string {
	n = deref(n)
	if isNull(n) {
		return ""
	}
	if n.Kind != yaml.ScalarNode {
		c.problem(n, key, "must be a single value")
		return ""
	}
	return n.Value
}

// boolean reads true or false.
func (c *conv) boolean(key string, n *yaml.Node) bool {
	var b bool
	if err := deref(n).Decode(&b); err != nil {
		c.problem(n, key, "must be true or false")
	}
	return b
}

// list reads a scalar (a list of one) or a sequence of scalars.
func (c *conv) list(key string, n *yaml.Node) []string {
	n = deref(n)
	switch {
	case isNull(n):
		return nil
	case n.Kind == yaml.ScalarNode:
		return []string{n.Value}
	case n.Kind == yaml.SequenceNode:
		out := make([]string, 0, len(n.Content))
		for _, item := range n.Content {
			item = deref(item)
			if item.Kind != yaml.ScalarNode {
				c.problem(item, key, "items must be single values")
				continue
			}
			out = append(out, item.Value)
		}
		return out
	}
	c.problem(n, key, "must be a value or a list of values")
	return nil
}

// value decodes any node, aliases and merges resolved, for settings.
func (c *conv) value(key string, n *yaml.Node) any {
	var v any
	if err := deref(n).Decode(&v); err != nil {
		c.problem(n, key, "%v", err)
	}
	return v
}
