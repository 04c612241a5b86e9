package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Limits bound what Parse accepts. Drone has none; each is far above any
// real pipeline file and far below what would hurt the process.
type Limits struct {
	// MaxBytes bounds the whole file.
	MaxBytes int
	// MaxDocuments bounds the number of documents.
	MaxDocuments int
	// MaxDepth bounds the nesting of mappings and sequences, counted
	// through aliases.
	MaxDepth int
	// MaxNodes bounds the nodes of one document after alias expansion
	// ("billion laughs").
	MaxNodes int
}

// DefaultLimits are the limits Parse applies.
var DefaultLimits = Limits{
	MaxBytes:     4 << 20,
	MaxDocuments: 1000,
	MaxDepth:     100,
	MaxNodes:     500_000,
}

// Parse parses a pipeline file with DefaultLimits.
func Parse(data []byte) (*Manifest, error) {
	return ParseLimits(data, DefaultLimits)
}

// ParseLimits parses a pipeline file as Drone does: documents split at
// every line starting with "---", reading stopped at a line starting with
// "...", the kind attribute choosing the resource type (unknown kinds are
// pipelines, a missing kind is an error). A zero field of l means the
// default. Every error is an *Error; limit violations wrap ErrLimit.
func ParseLimits(data []byte, l Limits) (*Manifest, error) {
	l = l.withDefaults()
	if len(data) > l.MaxBytes {
		return nil, limitError(0, "manifest of %d bytes exceeds the limit of %d bytes", len(data), l.MaxBytes)
	}
	if !utf8.Valid(data) {
		return nil, limitError(invalidUTF8Line(data), "manifest is not valid UTF-8")
	}
	docs := split(data)
	if len(docs) > l.MaxDocuments {
		return nil, limitError(docs[l.MaxDocuments].Line, "manifest has more than %d documents", l.MaxDocuments)
	}
	m := &Manifest{Resources: make([]Resource, 0, len(docs))}
	for i := range docs {
		r, err := parseDocument(&docs[i], l)
		if err != nil {
			return nil, err
		}
		m.Resources = append(m.Resources, r)
	}
	return m, nil
}

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultLimits.MaxBytes
	}
	if l.MaxDocuments <= 0 {
		l.MaxDocuments = DefaultLimits.MaxDocuments
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultLimits.MaxDepth
	}
	if l.MaxNodes <= 0 {
		l.MaxNodes = DefaultLimits.MaxNodes
	}
	return l
}

// split cuts data into documents with Drone's line-based rules. A
// separator always opens a new document, so a trailing "---" leaves an
// empty one (which then fails for its missing kind, as in Drone). Carriage
// returns before a newline are dropped, as bufio.ScanLines does for Drone.
func split(data []byte) []Document {
	var docs []Document
	var cur *Document
	for lineNo := 1; len(data) > 0; lineNo++ {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		// Drone's order: a separator closes the document, any line opens
		// one if none is open, and only then does a terminator stop the
		// reading, so a file that starts with "..." holds one empty
		// document (an error), not none.
		sep := bytes.HasPrefix(line, []byte("---"))
		if sep {
			cur = nil
		}
		if cur == nil {
			start := lineNo
			if sep {
				start++
			}
			docs = append(docs, Document{Line: start, Index: len(docs)})
			cur = &docs[len(docs)-1]
		}
		if sep {
			continue
		}
		if bytes.HasPrefix(line, []byte("...")) {
			break
		}
		cur.Raw = append(append(cur.Raw, line...), '\n')
	}
	return docs
}

func parseDocument(doc *Document, l Limits) (Resource, error) {
	var node yaml.Node
	if err := yaml.Unmarshal(doc.Raw, &node); err != nil {
		return nil, yamlError(doc, err)
	}
	root := &node
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	if root.Kind == yaml.DocumentNode || root.Kind == 0 {
		return nil, &Error{Rule: "parse", Line: doc.Line, Message: ErrMissingKind.Error(), err: ErrMissingKind}
	}
	if err := checkNode(root, l); err != nil {
		err.Line += doc.Line - 1
		return nil, err
	}
	kind, err := kindOf(root)
	if err != nil {
		return nil, yamlError(doc, err)
	}
	var r Resource
	switch kind {
	case "":
		return nil, &Error{Rule: "parse", Line: doc.Line, Message: ErrMissingKind.Error(), err: ErrMissingKind}
	case KindCron:
		r = &Cron{}
	case KindSecret:
		r = &Secret{}
	case KindSignature:
		r = &Signature{}
	case KindRegistry:
		r = &Registry{}
	default:
		r = &Pipeline{}
	}
	if err := root.Decode(r); err != nil {
		return nil, yamlError(doc, err)
	}
	*r.Source() = *doc
	if p, ok := r.(*Pipeline); ok {
		if err := checkEmpty(p); err != nil {
			return nil, &Error{Rule: "parse", Line: doc.Line, Message: err.Error(), Pipeline: p.Name}
		}
		setLines(root, "steps", p.Steps, doc.Line)
		setLines(root, "services", p.Services, doc.Line)
	}
	return r, nil
}

// checkEmpty refuses list items left empty ("steps:\n-"), which decode
// to nil and would otherwise reach every user of the manifest.
func checkEmpty(p *Pipeline) error {
	for _, list := range []struct {
		name string
		cs   []*Container
	}{{"steps", p.Steps}, {"services", p.Services}} {
		for i, c := range list.cs {
			if c == nil {
				return fmt.Errorf("yaml: pipeline %q: %s item %d is empty", p.Name, list.name, i+1)
			}
			if slices.Contains(c.Ports, nil) || slices.Contains(c.Devices, nil) || slices.Contains(c.Volumes, nil) {
				return fmt.Errorf("yaml: pipeline %q: %s item %d (%q) has an empty ports, devices or volumes item", p.Name, list.name, i+1, c.Name)
			}
		}
	}
	if slices.Contains(p.Volumes, nil) {
		return fmt.Errorf("yaml: pipeline %q: volumes has an empty item", p.Name)
	}
	return nil
}

// kindOf returns the kind attribute of a document's root mapping. It
// reads the node directly, the common case, and decodes only when a merge
// key could supply the kind.
func kindOf(root *yaml.Node) (string, error) {
	if root.Kind == yaml.MappingNode {
		merge := false
		for i := 0; i+1 < len(root.Content); i += 2 {
			k, v := root.Content[i], root.Content[i+1]
			if k.Value == "kind" && v.Kind == yaml.ScalarNode {
				return v.Value, nil
			}
			merge = merge || k.Value == "<<"
		}
		if !merge {
			return "", nil
		}
	}
	var head struct {
		Kind string `yaml:"kind"`
	}
	err := root.Decode(&head)
	return head.Kind, err
}

// setLines gives each container the file line of its node in the root's
// key sequence; containers that came through an alias or merge keep the
// document's line.
func setLines(root *yaml.Node, key string, cs []*Container, docLine int) {
	for _, c := range cs {
		c.Line = docLine
	}
	if root.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != key {
			continue
		}
		seq := root.Content[i+1]
		if seq.Kind != yaml.SequenceNode || len(seq.Content) != len(cs) {
			return
		}
		for j, n := range seq.Content {
			cs[j].Line = n.Line + docLine - 1
		}
		return
	}
}

var lineRef = regexp.MustCompile(`line (\d+)`)

// yamlError turns a YAML error into an *Error whose line numbers count
// from the top of the file, not of the document.
func yamlError(doc *Document, err error) *Error {
	off := doc.Line - 1
	first := 0
	msg := lineRef.ReplaceAllStringFunc(err.Error(), func(s string) string {
		n, _ := strconv.Atoi(s[len("line "):])
		if first == 0 {
			first = n + off
		}
		return fmt.Sprintf("line %d", n+off)
	})
	if first == 0 {
		first = doc.Line
	}
	e := &Error{Rule: "parse", Line: first, Message: msg, err: err}
	var te *yaml.TypeError
	if !errors.As(err, &te) && !bytes.HasPrefix([]byte(msg), []byte("yaml:")) {
		e.Message = "yaml: " + msg
	}
	return e
}

func invalidUTF8Line(data []byte) int {
	line := 1
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		if r == utf8.RuneError && size <= 1 {
			return line
		}
		if r == '\n' {
			line++
		}
		data = data[size:]
	}
	return line
}
