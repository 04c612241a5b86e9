package secret

import (
	"encoding/json"
	"maps"

	"github.com/hangar-ci/hangar/shared/scope"
)

// pick returns the value of key name in data: a string as is, anything
// else (numbers, booleans, objects) as JSON text, never dropped as
// drone-vault drops it. Name "*" returns every key but the restriction keys
// as one JSON object, as drone-vault does. The restriction keys themselves
// are not values.
func pick(data map[string]any, name string) (string, bool, error) {
	if name == "*" {
		all := maps.Clone(data)
		maps.DeleteFunc(all, func(k string, _ any) bool { return scope.IsKey(k) })
		b, err := json.Marshal(all)
		return string(b), true, err
	}
	if scope.IsKey(name) {
		return "", false, nil
	}
	v, ok := data[name]
	if !ok {
		return "", false, nil
	}
	if s, ok := v.(string); ok {
		return s, true, nil
	}
	b, err := json.Marshal(v)
	return string(b), true, err
}
