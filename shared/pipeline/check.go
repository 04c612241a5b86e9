package pipeline

import "go.yaml.in/yaml/v3"

// CheckNode applies the depth and alias-expansion bounds of l to a node
// tree a caller decoded itself, such as a pipeline file in another format
// before its conversion. A zero field of l means the default. The error is
// an *Error wrapping ErrLimit; its lines are those of the node tree.
func CheckNode(root *yaml.Node, l Limits) error {
	if err := checkNode(root, l.withDefaults()); err != nil {
		return err
	}
	return nil
}
