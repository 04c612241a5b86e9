package foreign

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// whenKeys maps 0.8's when keys to Drone 1.x condition names.
var whenKeys = map[string]string{
	"branch": "branch", "event": "event", "status": "status", "ref": "ref",
	"repo": "repo", "instance": "instance", "environment": "target",
}

// when converts a 0.8 when block. matrix constraints are returned apart:
// they decide, per matrix entry, whether the step exists at all.
func (d *drone08) when(path string, n *yaml.Node) (outConditions, *matrixCond) {
	var out outConditions
	var m *matrixCond
	for _, kv := range pairs(n) {
		key, at := kv.key.Value, path+"."+kv.key.Value
		if name, ok := whenKeys[key]; ok {
			c := d.condition(at, kv.val)
			if key == "event" {
				renameEvents(c)
			}
			out.set(name, c)
			continue
		}
		switch key {
		case "matrix":
			m = d.matrixCond(at, kv.val)
		case "local":
			d.warn(kv.key, "%s is ignored: it only concerned `drone exec` on a workstation", at)
		default:
			d.problem(kv.key, at, "is not a condition Drone 1.x steps have (branch, event, status, ref, repo, instance, environment, matrix)")
		}
	}
	return out, m
}

// condition reads a 0.8 constraint as 0.8 did: a value, a list, or
// {include, exclude}, each a value or a list. Other keys inside the
// mapping were ignored by 0.8 (it decoded only include and exclude), so
// they are ignored here too, with a warning: `branch: {event: [push]}`
// restricts nothing.
func (d *drone08) condition(path string, n *yaml.Node) *outCondition {
	n = deref(n)
	c := &outCondition{}
	if n.Kind != yaml.MappingNode {
		c.Include = d.list(path, n)
		return c
	}
	for _, kv := range pairs(n) {
		switch kv.key.Value {
		case "include":
			c.Include = append(c.Include, d.list(path+".include", kv.val)...)
		case "exclude":
			c.Exclude = append(c.Exclude, d.list(path+".exclude", kv.val)...)
		default:
			hint := ""
			if _, ok := whenKeys[kv.key.Value]; ok {
				hint = fmt.Sprintf(": nothing restricts %s; write `%s:` beside it, not inside it", kv.key.Value, kv.key.Value)
			}
			d.warn(kv.key, "%s.%s is ignored, as Drone 0.8 ignored it (only include and exclude count inside a condition)%s", path, kv.key.Value, hint)
		}
	}
	return c
}

// renameEvents maps 0.8's deployment event to Drone 1.x's promote.
func renameEvents(c *outCondition) {
	for _, l := range [][]string{c.Include, c.Exclude} {
		for i, e := range l {
			if e == "deployment" {
				l[i] = "promote"
			}
		}
	}
}

// matrixCond is a when.matrix constraint: the axis values a step needs.
type matrixCond struct {
	Include, Exclude map[string]string
}

func (d *drone08) matrixCond(path string, n *yaml.Node) *matrixCond {
	m := &matrixCond{Include: map[string]string{}, Exclude: map[string]string{}}
	read := func(into map[string]string, at string, n *yaml.Node) {
		for _, kv := range pairs(n) {
			into[kv.key.Value] = d.str(at+"."+kv.key.Value, kv.val)
		}
	}
	ps := pairs(n)
	if len(ps) > 0 && (ps[0].key.Value == "include" || ps[0].key.Value == "exclude") {
		for _, kv := range ps {
			switch kv.key.Value {
			case "include":
				read(m.Include, path+".include", kv.val)
			case "exclude":
				read(m.Exclude, path+".exclude", kv.val)
			default:
				d.problem(kv.key, path+"."+kv.key.Value, "mixes axis values with include/exclude")
			}
		}
		return m
	}
	read(m.Include, path, n)
	return m
}

// match is 0.8's rule: no constraint matches; an entry equal to every
// excluded value is out; else every included value must be equal.
func (m *matrixCond) match(axis map[string]string) bool {
	if m == nil || len(m.Include) == 0 && len(m.Exclude) == 0 {
		return true
	}
	if len(m.Exclude) > 0 {
		hits := 0
		for k, v := range m.Exclude {
			if axis[k] == v {
				hits++
			}
		}
		if hits == len(m.Exclude) {
			return false
		}
	}
	for k, v := range m.Include {
		if axis[k] != v {
			return false
		}
	}
	return true
}
