package pipeline

import "go.yaml.in/yaml/v3"

// nodeStat is the size and height of a node with its aliases expanded.
type nodeStat struct {
	size, height int
	done         bool
}

// checker measures a node tree as a decoder would see it, aliases
// expanded, without expanding anything: each anchored node is measured
// once and every alias to it costs its measured size.
type checker struct {
	l    Limits
	seen map[*yaml.Node]*nodeStat
	// aliased is set once an alias counted, so the message says whether
	// the size comes from the text or from alias expansion.
	aliased bool
}

// checkNode refuses a document nested deeper than l.MaxDepth or larger
// than l.MaxNodes once aliases are expanded. Line numbers in the error are
// relative to the document.
func checkNode(root *yaml.Node, l Limits) *Error {
	c := &checker{l: l}
	size, _, err := c.walk(root, 1)
	if err != nil {
		return err
	}
	if size > l.MaxNodes {
		return c.tooLarge(root)
	}
	return nil
}

// tooLarge is the node limit's error, at the line of the node that passed
// it.
func (c *checker) tooLarge(n *yaml.Node) *Error {
	if c.aliased {
		return limitError(n.Line, "document expands to more than %d nodes through aliases (the limit on its size)", c.l.MaxNodes)
	}
	return limitError(n.Line, "document has more than %d nodes (the limit on its size)", c.l.MaxNodes)
}

func (c *checker) walk(n *yaml.Node, depth int) (size, height int, err *Error) {
	if depth > c.l.MaxDepth {
		return 0, 0, limitError(n.Line, "nesting deeper than %d levels", c.l.MaxDepth)
	}
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return 1, 1, nil
		}
		st, ok := c.seen[n.Alias]
		if ok && !st.done {
			return 0, 0, limitError(n.Line, "alias %q refers to itself", n.Value)
		}
		if !ok {
			s, h, err := c.walk(n.Alias, depth)
			if err != nil {
				return 0, 0, err
			}
			st = &nodeStat{size: s, height: h, done: true}
		}
		c.aliased = true
		if depth-1+st.height > c.l.MaxDepth {
			return 0, 0, limitError(n.Line, "nesting deeper than %d levels (through alias %q)", c.l.MaxDepth, n.Value)
		}
		return st.size, st.height, nil
	}
	var st *nodeStat
	if n.Anchor != "" {
		if c.seen == nil {
			c.seen = make(map[*yaml.Node]*nodeStat)
		}
		st = &nodeStat{}
		c.seen[n] = st
	}
	size, height = 1, 1
	for _, child := range n.Content {
		s, h, err := c.walk(child, depth+1)
		if err != nil {
			return 0, 0, err
		}
		// Saturate: a billion laughs must not overflow the count.
		size += s
		if size > c.l.MaxNodes {
			return 0, 0, c.tooLarge(n)
		}
		height = max(height, h+1)
	}
	if st != nil {
		*st = nodeStat{size: size, height: height, done: true}
	}
	return size, height, nil
}
