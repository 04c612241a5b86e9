package msgsig

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// The subset of Structured Field Values (RFC 8941) a message signature
// uses: dictionaries whose members are items or inner lists, with
// parameters. Decimals are refused: no signature field Hangar reads has
// one, and refusing them keeps re-serialisation exact.

// token is an sf-token, kept apart from a string so it serialises back
// without quotes.
type token string

// param is one parameter, in the order received.
type param struct {
	key   string
	value any // int64, string, token, []byte or bool
}

// member is a dictionary member: an item, or an inner list when list is set.
type member struct {
	item   any
	list   []listItem
	isList bool
	params []param
}

type listItem struct {
	value  any
	params []param
}

// dict is a parsed dictionary, its keys in order.
type dict struct {
	keys    []string
	members map[string]member
}

var errSF = errors.New("malformed structured field")

type sfParser struct {
	s string
	i int
}

// parseDict parses a dictionary field (its lines joined with commas).
func parseDict(s string) (dict, error) {
	p := &sfParser{s: s}
	d := dict{members: map[string]member{}}
	p.skipSP()
	for p.i < len(p.s) {
		key, err := p.key()
		if err != nil {
			return dict{}, err
		}
		var m member
		if p.peek() == '=' {
			p.i++
			if p.peek() == '(' {
				m.isList = true
				if m.list, err = p.innerList(); err != nil {
					return dict{}, err
				}
			} else if m.item, err = p.bareItem(); err != nil {
				return dict{}, err
			}
		} else {
			m.item = true
		}
		if m.params, err = p.params(); err != nil {
			return dict{}, err
		}
		// RFC 8941 lets a repeated key overwrite; a verifier must not let a
		// second member shadow the first, so it is refused instead.
		if _, dup := d.members[key]; dup {
			return dict{}, fmt.Errorf("%w: key %q repeated", errSF, key)
		}
		d.keys = append(d.keys, key)
		d.members[key] = m
		p.skipOWS()
		if p.i == len(p.s) {
			break
		}
		if p.s[p.i] != ',' {
			return dict{}, fmt.Errorf("%w: expected ',' at %d", errSF, p.i)
		}
		p.i++
		p.skipOWS()
		if p.i == len(p.s) {
			return dict{}, fmt.Errorf("%w: trailing comma", errSF)
		}
	}
	return d, nil
}

func (p *sfParser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *sfParser) skipSP() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

func (p *sfParser) skipOWS() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *sfParser) key() (string, error) {
	start := p.i
	if c := p.peek(); !(c >= 'a' && c <= 'z') && c != '*' {
		return "", fmt.Errorf("%w: key expected at %d", errSF, p.i)
	}
	for p.i < len(p.s) {
		c := p.s[p.i]
		if (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' || c == '*' {
			p.i++
			continue
		}
		break
	}
	return p.s[start:p.i], nil
}

func (p *sfParser) innerList() ([]listItem, error) {
	p.i++ // (
	var out []listItem
	for {
		p.skipSP()
		if p.peek() == ')' {
			p.i++
			return out, nil
		}
		if p.i >= len(p.s) {
			return nil, fmt.Errorf("%w: unterminated inner list", errSF)
		}
		v, err := p.bareItem()
		if err != nil {
			return nil, err
		}
		ps, err := p.params()
		if err != nil {
			return nil, err
		}
		out = append(out, listItem{v, ps})
		if c := p.peek(); c != ' ' && c != ')' {
			return nil, fmt.Errorf("%w: expected ' ' or ')' at %d", errSF, p.i)
		}
	}
}

func (p *sfParser) params() ([]param, error) {
	var out []param
	for p.peek() == ';' {
		p.i++
		p.skipSP()
		k, err := p.key()
		if err != nil {
			return nil, err
		}
		var v any = true
		if p.peek() == '=' {
			p.i++
			if v, err = p.bareItem(); err != nil {
				return nil, err
			}
		}
		for _, q := range out {
			if q.key == k {
				return nil, fmt.Errorf("%w: parameter %q repeated", errSF, k)
			}
		}
		out = append(out, param{k, v})
	}
	return out, nil
}

func (p *sfParser) bareItem() (any, error) {
	c := p.peek()
	switch {
	case c == '-' || (c >= '0' && c <= '9'):
		return p.integer()
	case c == '"':
		return p.str()
	case c == ':':
		return p.bytes()
	case c == '?':
		if p.i+1 < len(p.s) && (p.s[p.i+1] == '0' || p.s[p.i+1] == '1') {
			p.i += 2
			return p.s[p.i-1] == '1', nil
		}
		return nil, fmt.Errorf("%w: bad boolean at %d", errSF, p.i)
	case (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '*':
		start := p.i
		for p.i < len(p.s) && isTokenChar(p.s[p.i]) {
			p.i++
		}
		return token(p.s[start:p.i]), nil
	}
	return nil, fmt.Errorf("%w: item expected at %d", errSF, p.i)
}

func isTokenChar(c byte) bool {
	return c > ' ' && c < 0x7f && !strings.ContainsRune(`"(),;<=>?@[\]{}`, rune(c)) || c == ':' || c == '/'
}

func (p *sfParser) integer() (int64, error) {
	start := p.i
	if p.peek() == '-' {
		p.i++
	}
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		p.i++
	}
	if p.peek() == '.' {
		return 0, fmt.Errorf("%w: decimals are not accepted (at %d)", errSF, p.i)
	}
	digits := strings.TrimPrefix(p.s[start:p.i], "-")
	if digits == "" || len(digits) > 15 {
		return 0, fmt.Errorf("%w: bad integer at %d", errSF, start)
	}
	return strconv.ParseInt(p.s[start:p.i], 10, 64)
}

func (p *sfParser) str() (string, error) {
	p.i++ // "
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		p.i++
		switch {
		case c == '\\':
			if p.i >= len(p.s) || (p.s[p.i] != '"' && p.s[p.i] != '\\') {
				return "", fmt.Errorf("%w: bad escape at %d", errSF, p.i)
			}
			b.WriteByte(p.s[p.i])
			p.i++
		case c == '"':
			return b.String(), nil
		case c < ' ' || c >= 0x7f:
			return "", fmt.Errorf("%w: control or non-ASCII character in string", errSF)
		default:
			b.WriteByte(c)
		}
	}
	return "", fmt.Errorf("%w: unterminated string", errSF)
}

func (p *sfParser) bytes() ([]byte, error) {
	p.i++ // :
	end := strings.IndexByte(p.s[p.i:], ':')
	if end < 0 {
		return nil, fmt.Errorf("%w: unterminated byte sequence", errSF)
	}
	raw := p.s[p.i : p.i+end]
	p.i += end + 1
	b, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: byte sequence is not base64", errSF)
	}
	return b, nil
}

// serializeInnerList writes an inner list with its parameters in the
// canonical form RFC 8941 §4.1 gives; the signature base's
// "@signature-params" line is exactly this.
func serializeInnerList(items []listItem, params []param) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, it := range items {
		if i > 0 {
			b.WriteByte(' ')
		}
		writeBare(&b, it.value)
		writeParams(&b, it.params)
	}
	b.WriteByte(')')
	writeParams(&b, params)
	return b.String()
}

func writeParams(b *strings.Builder, ps []param) {
	for _, p := range ps {
		b.WriteByte(';')
		b.WriteString(p.key)
		if v, ok := p.value.(bool); ok && v {
			continue
		}
		b.WriteByte('=')
		writeBare(b, p.value)
	}
}

func writeBare(b *strings.Builder, v any) {
	switch v := v.(type) {
	case int64:
		b.WriteString(strconv.FormatInt(v, 10))
	case string:
		b.WriteString(quote(v))
	case token:
		b.WriteString(string(v))
	case []byte:
		b.WriteByte(':')
		b.WriteString(base64.StdEncoding.EncodeToString(v))
		b.WriteByte(':')
	case bool:
		if v {
			b.WriteString("?1")
		} else {
			b.WriteString("?0")
		}
	}
}

// quote serialises s as an sf-string.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}
