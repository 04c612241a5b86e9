package convert

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
)

// Pipelines are written by a small block-style YAML emitter rather than
// through yaml.Node: it keeps a dict's key order, stops as soon as the
// output passes the size limit, and costs a fraction of the general
// encoder (which made a cold conversion slower than Drone's, whose output
// is JSON). Any string that a YAML reader might take for something else
// is double-quoted; TestEmitterRoundTrip checks the rules.

// maxDepth bounds nesting in a pipeline; real pipelines nest under ten
// levels, and a self-containing list would otherwise never end.
const maxDepth = 100

var errTooLarge = errors.New("too large")

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
	}
	return err
}

type emitter struct {
	buf   []byte
	limit int
}

func (e *emitter) indent(n int) {
	for range n {
		e.buf = append(e.buf, ' ')
	}
}

// items returns a mapping's keys and values, or ok false.
func items(v starlark.Value) (keys []string, vals []starlark.Value, ok bool, err error) {
	switch v := v.(type) {
	case *starlark.Dict:
		for _, kv := range v.Items() {
			k, isStr := kv[0].(starlark.String)
			if !isStr {
				return nil, nil, true, &pathError{"", fmt.Sprintf("dict key %s is a %s; pipeline keys must be strings", kv[0].String(), kv[0].Type())}
			}
			keys, vals = append(keys, string(k)), append(vals, kv[1])
		}
		return keys, vals, true, nil
	case *starlarkstruct.Struct:
		for _, k := range v.AttrNames() {
			a, _ := v.Attr(k)
			keys, vals = append(keys, k), append(vals, a)
		}
		return keys, vals, true, nil
	}
	return nil, nil, false, nil
}

// elems returns a sequence's elements, or ok false.
func elems(v starlark.Value) ([]starlark.Value, bool) {
	switch v := v.(type) {
	case *starlark.List:
		out := make([]starlark.Value, v.Len())
		for i := range out {
			out[i] = v.Index(i)
		}
		return out, true
	case starlark.Tuple:
		return v, true
	}
	return nil, false
}

// block writes v as the content of a mapping entry or sequence item whose
// indicator ("key:" or "- ") is already written; col is the column of that
// indicator's line. inline says the first line may continue the
// indicator's line (sequence items do, mapping values do not).
func (e *emitter) block(v starlark.Value, col int, inline bool, depth int) error {
	if depth > maxDepth {
		return &pathError{"", fmt.Sprintf("nested deeper than %d levels (does a value contain itself?)", maxDepth)}
	}
	if len(e.buf) > e.limit {
		return errTooLarge
	}
	if keys, vals, ok, err := items(v); ok {
		if err != nil {
			return err
		}
		if len(keys) == 0 {
			e.buf = append(e.buf, " {}\n"...)
			return nil
		}
		if !inline {
			e.buf = append(e.buf, '\n')
		}
		for i, k := range keys {
			if i > 0 || !inline {
				e.indent(col)
			}
			if plainSafe(k) {
				e.buf = append(e.buf, k...)
			} else {
				e.buf = appendQuoted(e.buf, k) // never a block: it is a key
			}
			e.buf = append(e.buf, ':')
			if err := e.block(vals[i], col+2, false, depth+1); err != nil {
				return at("."+k, err)
			}
		}
		return nil
	}
	if list, ok := elems(v); ok {
		if len(list) == 0 {
			e.buf = append(e.buf, " []\n"...)
			return nil
		}
		if !inline {
			e.buf = append(e.buf, '\n')
		}
		for i, item := range list {
			if i > 0 || !inline {
				e.indent(col)
			}
			e.buf = append(e.buf, "- "...)
			if err := e.item(item, col+2, depth+1); err != nil {
				return at(fmt.Sprintf("[%d]", i), err)
			}
		}
		return nil
	}
	e.buf = append(e.buf, ' ')
	return e.scalar(v, col)
}

// item writes a sequence item after its "- ".
func (e *emitter) item(v starlark.Value, col, depth int) error {
	_, _, isMap, _ := items(v)
	list, isList := elems(v)
	switch {
	case isMap:
		if e.isEmpty(v) {
			e.buf = append(e.buf, "{}\n"...)
			return nil
		}
		return e.block(v, col, true, depth)
	case isList:
		if len(list) == 0 {
			e.buf = append(e.buf, "[]\n"...)
			return nil
		}
		return e.block(v, col, true, depth)
	}
	return e.scalar(v, col)
}

func (e *emitter) isEmpty(v starlark.Value) bool {
	keys, _, _, err := items(v)
	return err == nil && len(keys) == 0
}

// scalar writes a scalar and its line end.
func (e *emitter) scalar(v starlark.Value, col int) error {
	switch v := v.(type) {
	case starlark.NoneType:
		e.buf = append(e.buf, "null"...)
	case starlark.Bool:
		e.buf = strconv.AppendBool(e.buf, bool(v))
	case starlark.Int:
		e.buf = append(e.buf, v.String()...)
	case starlark.Float:
		e.buf = appendFloat(e.buf, float64(v))
	case starlark.String:
		e.buf = appendScalarString(e.buf, string(v), col)
	case starlark.Bytes:
		e.buf = appendScalarString(e.buf, string(v), col)
	default:
		return &pathError{"", fmt.Sprintf("a %s cannot be written as YAML", v.Type())}
	}
	e.buf = append(e.buf, '\n')
	return nil
}

func appendFloat(b []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(b, ".inf"...)
	case math.IsInf(f, -1):
		return append(b, "-.inf"...)
	case math.IsNaN(f):
		return append(b, ".nan"...)
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eEn") {
		s += ".0" // keep it a float when read back
	}
	return append(b, s...)
}

// appendScalarString writes s plain when no YAML reader could take it for
// anything but that string, as a literal block when it is multi-line
// text, and double-quoted otherwise.
func appendScalarString(b []byte, s string, col int) []byte {
	switch {
	case plainSafe(s):
		return append(b, s...)
	case literalSafe(s):
		return appendLiteral(b, s, col)
	}
	return appendQuoted(b, s)
}

// keywords are the plain scalars YAML 1.1 or 1.2 read as booleans or null.
var keywords = map[string]bool{
	"y": true, "n": true, "yes": true, "no": true, "true": true, "false": true,
	"on": true, "off": true, "null": true, "~": true, "<<": true, "=": true,
	".inf": true, ".nan": true, "-.inf": true,
}

func plainSafe(s string) bool {
	if s == "" || len(s) > 1024 || keywords[strings.ToLower(s)] {
		return false
	}
	switch c := s[0]; {
	case (c == '-' || c == '.') && len(s) > 1 && isLetter(s[1]):
		// "-mod=readonly", ".drone.star": before a letter, neither is an
		// indicator or part of a number (.inf and .nan are keywords).
	case c >= '0' && c <= '9', strings.IndexByte("-?:,[]{}#&*!|>'\"%@`.+~ <=", c) >= 0:
		return false // indicators, and anything that could start a number
	}
	if s[len(s)-1] == ' ' || s[len(s)-1] == ':' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false // control characters, and non-ASCII kept simple
		}
	}
	return !strings.Contains(s, ": ") && !strings.Contains(s, " #")
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// literalSafe reports whether multi-line text can be a literal block:
// printable, no tabs or carriage returns, no line of only spaces, no
// leading space on the first line (which would need an indentation
// indicator).
func literalSafe(s string) bool {
	if !strings.Contains(s, "\n") || s[0] == ' ' || s[0] == '\n' || !utf8.ValidString(s) {
		return false
	}
	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		if line != "" && strings.TrimLeft(line, " ") == "" {
			return false
		}
		for _, r := range line {
			if r < 0x20 || r == 0x7f || r == 0x85 || r == 0x2028 || r == 0x2029 || r == 0xfeff {
				return false
			}
		}
	}
	return true
}

func appendLiteral(b []byte, s string, col int) []byte {
	body := strings.TrimRight(s, "\n")
	switch trailing := len(s) - len(body); {
	case trailing == 0:
		b = append(b, "|-"...)
	case trailing == 1:
		b = append(b, '|')
	default:
		b = append(b, "|+"...)
		body = s[:len(s)-1]
	}
	for _, line := range strings.Split(body, "\n") {
		b = append(b, '\n')
		if line != "" {
			for range col + 2 {
				b = append(b, ' ')
			}
			b = append(b, line...)
		}
	}
	return b
}

// appendQuoted writes a YAML double-quoted scalar, escaping what YAML
// requires and nothing more.
func appendQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	for i, r := range s {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r == '\n':
			b = append(b, '\\', 'n')
		case r == '\t':
			b = append(b, '\\', 't')
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\xef\xbf\xbd"):
			b = append(b, fmt.Sprintf("\\x%02x", s[i])...) // an invalid byte
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x2028 || r == 0x2029 || r == 0xfeff:
			b = append(b, fmt.Sprintf("\\u%04x", r)...)
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return append(b, '"')
}

// writeDocs writes each pipeline as one YAML document, each starting with
// "---" as Drone's converters write them.
func writeDocs(name string, docs []starlark.Value, limit int) (string, error) {
	e := &emitter{limit: limit, buf: make([]byte, 0, 16<<10)}
	for i, d := range docs {
		e.buf = append(e.buf, "---\n"...)
		if e.isEmpty(d) {
			e.buf = append(e.buf, "{}\n"...)
			continue
		}
		err := e.block(d, 0, true, 0)
		if err == errTooLarge || len(e.buf) > limit {
			return "", sizeError(name, limit)
		}
		if err != nil {
			return "", scriptError("%s: pipeline %d: %v", name, i+1, err)
		}
	}
	return string(e.buf), nil
}
