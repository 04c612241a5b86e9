package foreign

import (
	"fmt"
	"maps"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// axis is one entry of a 0.8 build matrix: a value for every variable.
type axis struct {
	names  []string // in file order
	values map[string]string
}

// axes expands the matrix, or returns the one empty entry of a file
// without one. 0.8's two forms: variables with lists of values (every
// combination, the first variable varying slowest) or include, a list of
// entries. More entries than l.MaxMatrix are refused before any is made.
func (d *drone08) axes(l Limits) ([]axis, error) {
	if d.matrix == nil {
		return []axis{{}}, nil
	}
	ps := pairs(d.matrix)
	if len(ps) == 1 && ps[0].key.Value == "include" {
		items := deref(ps[0].val)
		if items.Kind != yaml.SequenceNode {
			d.problem(items, "matrix.include", "must be a list of entries")
			return nil, nil
		}
		if len(items.Content) > l.MaxMatrix {
			return nil, limitError(Drone08, ps[0].key.Line, "matrix.include has %d entries, more than the limit of %d pipelines", len(items.Content), l.MaxMatrix)
		}
		var out []axis
		for _, item := range items.Content {
			a := axis{values: map[string]string{}}
			for _, kv := range pairs(item) {
				a.names = append(a.names, kv.key.Value)
				a.values[kv.key.Value] = d.str("matrix.include."+kv.key.Value, kv.val)
			}
			out = append(out, a)
		}
		return out, nil
	}
	if len(ps) == 0 {
		d.problem(d.matrix, "matrix", "has no variables")
		return nil, nil
	}
	names := make([]string, 0, len(ps))
	values := make([][]string, 0, len(ps))
	total := 1
	for _, kv := range ps {
		vs := d.list("matrix."+kv.key.Value, kv.val)
		if len(vs) == 0 {
			d.problem(kv.key, "matrix."+kv.key.Value, "has no values")
			return nil, nil
		}
		names, values = append(names, kv.key.Value), append(values, vs)
		// Saturate: the product is only compared with the limit.
		if total <= l.MaxMatrix {
			total *= len(vs)
		}
	}
	if total > l.MaxMatrix {
		return nil, limitError(Drone08, d.matrix.Line, "matrix of %d variables (%s) makes %s pipelines, more than the limit of %d", len(names), describeAxes(names, values), countAxes(values), l.MaxMatrix)
	}
	out := make([]axis, 0, total)
	idx := make([]int, len(names))
	for range total {
		a := axis{names: names, values: make(map[string]string, len(names))}
		for i, n := range names {
			a.values[n] = values[i][idx[i]]
		}
		out = append(out, a)
		for i := len(idx) - 1; i >= 0; i-- {
			if idx[i]++; idx[i] < len(values[i]) {
				break
			}
			idx[i] = 0
		}
	}
	return out, nil
}

func describeAxes(names []string, values [][]string) string {
	parts := make([]string, len(names))
	for i := range names {
		parts[i] = fmt.Sprintf("%s: %d", names[i], len(values[i]))
	}
	return strings.Join(parts, ", ")
}

// countAxes writes the product exactly, however large (10^10 here is
// still an int64, 100 variables of 100 values are not).
func countAxes(values [][]string) string {
	digits := []int{1} // little-endian base 10
	for _, vs := range values {
		carry := 0
		for i := range digits {
			p := digits[i]*len(vs) + carry
			digits[i], carry = p%10, p/10
		}
		for ; carry > 0; carry /= 10 {
			digits = append(digits, carry%10)
		}
		if len(digits) > 60 {
			return "more than 10^60"
		}
	}
	var b strings.Builder
	for i := len(digits) - 1; i >= 0; i-- {
		b.WriteString(strconv.Itoa(digits[i]))
	}
	return b.String()
}

// expand makes the pipeline of one matrix entry: the steps its when.matrix
// keeps, 0.8 groups as dependencies, the entry's variables in every
// container's environment and substituted for ${NAME} and $NAME.
func (d *drone08) expand(a axis, i int, named bool) (*yaml.Node, error) {
	p := d.pipe
	if named {
		p.Name = fmt.Sprintf("matrix-%d", i+1)
	}
	var kept []*legacyStep
	for _, s := range append(append([]*legacyStep(nil), d.clone...), d.steps...) {
		if s.matrix.match(a.values) {
			kept = append(kept, s)
		} else if !named {
			d.warn(&yaml.Node{Line: s.line}, "step %q has a when.matrix condition but the file has no matrix: Drone 0.8 never ran it, it is left out", s.out.Name)
		}
	}
	p.Steps = withAxis(kept, a)
	grouped := false
	for _, s := range kept {
		grouped = grouped || s.group != ""
	}
	if grouped {
		// Drone runs steps in parallel only when some step has
		// dependencies: the first group depends on Drone's own clone.
		var first []string
		if p.Clone == nil || !p.Clone.Disable {
			first = []string{"clone"}
		}
		dependByGroup(kept, p.Steps, first)
	}
	p.Services = withAxis(d.services, a)
	p.Volumes = d.volumes.list
	var n yaml.Node
	if err := n.Encode(&p); err != nil {
		return nil, &Error{Format: Drone08, Problems: []Problem{{Key: "output", Message: err.Error()}}}
	}
	if len(a.names) > 0 {
		substitute(&n, a.values)
	}
	return &n, nil
}

// withAxis copies containers, adding the entry's variables to each
// environment where the container does not set them.
func withAxis(steps []*legacyStep, a axis) []*outStep {
	out := make([]*outStep, 0, len(steps))
	for _, s := range steps {
		c := *s.out
		if len(a.names) > 0 {
			c.Environment = maps.Clone(c.Environment)
			if c.Environment == nil {
				c.Environment = map[string]any{}
			}
			for _, name := range a.names {
				if _, ok := c.Environment[name]; !ok {
					c.Environment[name] = a.values[name]
				}
			}
		}
		out = append(out, &c)
	}
	return out
}

// dependByGroup turns 0.8 groups into dependencies: consecutive steps of
// one group run together, after every step of the group (or lone step)
// before them.
func dependByGroup(steps []*legacyStep, out []*outStep, first []string) {
	prev, cur := first, []string(nil)
	for i, s := range steps {
		if i > 0 && (s.group == "" || s.group != steps[i-1].group) {
			prev, cur = cur, nil
		}
		out[i].DependsOn = append([]string(nil), prev...)
		cur = append(cur, s.out.Name)
	}
}

// substitute replaces matrix variables in every key and value: ${NAME}
// and $NAME for a variable of the entry; $$ stays, for the runner.
func substitute(n *yaml.Node, vars map[string]string) {
	if n.Kind == yaml.ScalarNode {
		n.Value = expandVars(n.Value, vars)
	}
	for _, c := range n.Content {
		substitute(c, vars)
	}
}

func expandVars(s string, vars map[string]string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		if s[i+1] == '$' {
			b.WriteString("$$")
			i++
			continue
		}
		if s[i+1] == '{' {
			if end := strings.IndexByte(s[i:], '}'); end > 0 {
				if v, ok := vars[s[i+2:i+end]]; ok {
					b.WriteString(v)
					i += end
					continue
				}
			}
			b.WriteByte('$')
			continue
		}
		j := i + 1
		for j < len(s) && (s[j] == '_' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9') {
			j++
		}
		if v, ok := vars[s[i+1:j]]; ok && j > i+1 {
			b.WriteString(v)
			i = j - 1
			continue
		}
		b.WriteByte('$')
	}
	return b.String()
}
