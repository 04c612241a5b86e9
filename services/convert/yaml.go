package convert

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
	"go.yaml.in/yaml/v3"
)

// maxDepth bounds nesting in a pipeline; real pipelines nest under ten
// levels, and a self-containing list would otherwise never end.
const maxDepth = 100

var errTooLarge = fmt.Errorf("too large")

// nodeBuilder converts values to YAML nodes, keeping a dict's key order
// and counting an estimate of the output so a huge value is refused before
// it is encoded.
type nodeBuilder struct {
	budget int
}

func (nb *nodeBuilder) spend(n int) error {
	if nb.budget -= n; nb.budget < 0 {
		return errTooLarge
	}
	return nil
}

func scalar(tag, v string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: v}
}

// pathError locates a conversion error inside a document.
type pathError struct {
	path string
	msg  string
}

func (e *pathError) Error() string {
	if e.path == "" {
		return e.msg
	}
	return "at " + strings.TrimPrefix(e.path, ".") + ": " + e.msg
}

func at(seg string, err error) error {
	if pe, ok := err.(*pathError); ok {
		pe.path = seg + pe.path
		return pe
	}
	return err
}

func (nb *nodeBuilder) starlark(v starlark.Value, depth int) (*yaml.Node, error) {
	if depth > maxDepth {
		return nil, &pathError{"", fmt.Sprintf("nested deeper than %d levels (does a value contain itself?)", maxDepth)}
	}
	if err := nb.spend(4); err != nil {
		return nil, err
	}
	switch v := v.(type) {
	case starlark.NoneType:
		return scalar("!!null", "null"), nil
	case starlark.Bool:
		return scalar("!!bool", strconv.FormatBool(bool(v))), nil
	case starlark.Int:
		return scalar("!!int", v.String()), nil
	case starlark.Float:
		return floatNode(float64(v)), nil
	case starlark.String:
		return nb.str(string(v))
	case starlark.Bytes:
		return nb.str(string(v))
	case *starlark.List:
		return nb.seq(v.Len(), v.Index, depth)
	case starlark.Tuple:
		return nb.seq(v.Len(), v.Index, depth)
	case *starlark.Dict:
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		for _, kv := range v.Items() {
			k, ok := kv[0].(starlark.String)
			if !ok {
				return nil, &pathError{"", fmt.Sprintf("dict key %s is a %s; pipeline keys must be strings", kv[0].String(), kv[0].Type())}
			}
			if err := nb.pair(n, string(k), kv[1], depth); err != nil {
				return nil, err
			}
		}
		return n, nil
	case *starlarkstruct.Struct:
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		for _, k := range v.AttrNames() {
			a, _ := v.Attr(k)
			if err := nb.pair(n, k, a, depth); err != nil {
				return nil, err
			}
		}
		return n, nil
	}
	return nil, &pathError{"", fmt.Sprintf("a %s cannot be written as YAML", v.Type())}
}

func (nb *nodeBuilder) str(s string) (*yaml.Node, error) {
	if err := nb.spend(len(s)); err != nil {
		return nil, err
	}
	return scalar("!!str", s), nil
}

func (nb *nodeBuilder) seq(n int, index func(int) starlark.Value, depth int) (*yaml.Node, error) {
	out := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: make([]*yaml.Node, 0, min(n, 1024))}
	for i := range n {
		c, err := nb.starlark(index(i), depth+1)
		if err != nil {
			return nil, at(fmt.Sprintf("[%d]", i), err)
		}
		out.Content = append(out.Content, c)
	}
	return out, nil
}

func (nb *nodeBuilder) pair(m *yaml.Node, k string, v starlark.Value, depth int) error {
	kn, err := nb.str(k)
	if err != nil {
		return err
	}
	vn, err := nb.starlark(v, depth+1)
	if err != nil {
		return at("."+k, err)
	}
	m.Content = append(m.Content, kn, vn)
	return nil
}

// json converts a value decoded from JSON with UseNumber.
func (nb *nodeBuilder) json(v any, depth int) (*yaml.Node, error) {
	if depth > maxDepth {
		return nil, &pathError{"", fmt.Sprintf("nested deeper than %d levels", maxDepth)}
	}
	if err := nb.spend(4); err != nil {
		return nil, err
	}
	switch v := v.(type) {
	case nil:
		return scalar("!!null", "null"), nil
	case bool:
		return scalar("!!bool", strconv.FormatBool(v)), nil
	case json.Number:
		if _, err := v.Int64(); err == nil {
			return scalar("!!int", v.String()), nil
		}
		f, _ := v.Float64()
		return floatNode(f), nil
	case string:
		return nb.str(v)
	case []any:
		out := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for i, e := range v {
			c, err := nb.json(e, depth+1)
			if err != nil {
				return nil, at(fmt.Sprintf("[%d]", i), err)
			}
			out.Content = append(out.Content, c)
		}
		return out, nil
	case map[string]any:
		out := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		for _, k := range slices.Sorted(maps.Keys(v)) {
			kn, err := nb.str(k)
			if err != nil {
				return nil, err
			}
			c, err := nb.json(v[k], depth+1)
			if err != nil {
				return nil, at("."+k, err)
			}
			out.Content = append(out.Content, kn, c)
		}
		return out, nil
	}
	return nil, &pathError{"", fmt.Sprintf("unexpected %T", v)}
}

func floatNode(f float64) *yaml.Node {
	switch {
	case math.IsInf(f, 1):
		return scalar("!!float", ".inf")
	case math.IsInf(f, -1):
		return scalar("!!float", "-.inf")
	case math.IsNaN(f):
		return scalar("!!float", ".nan")
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if f == math.Trunc(f) && !bytes.ContainsAny([]byte(s), "e.") {
		s += ".0" // keep it a float when read back
	}
	return scalar("!!float", s)
}

// encodeDocs writes each node as one YAML document, each starting with
// "---" as Drone's converters write them.
func encodeDocs(name string, nodes []*yaml.Node, limit int) (string, error) {
	var buf bytes.Buffer
	for _, n := range nodes {
		buf.WriteString("---\n")
		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(2)
		if err := enc.Encode(n); err != nil {
			return "", scriptError("%s: cannot write the pipeline as YAML: %v", name, err)
		}
		enc.Close()
		if buf.Len() > limit {
			return "", sizeError(name, limit)
		}
	}
	return buf.String(), nil
}

// writeStarlark converts the pipelines main returned to YAML.
func writeStarlark(name string, docs []starlark.Value, limit int) (string, error) {
	nb := &nodeBuilder{budget: limit}
	nodes := make([]*yaml.Node, len(docs))
	for i, d := range docs {
		n, err := nb.starlark(d, 0)
		if err == errTooLarge {
			return "", sizeError(name, limit)
		}
		if err != nil {
			return "", scriptError("%s: pipeline %d: %v", name, i+1, err)
		}
		nodes[i] = n
	}
	return encodeDocs(name, nodes, limit)
}
