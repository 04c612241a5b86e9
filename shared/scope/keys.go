package scope

import (
	"strconv"
	"strings"
)

// The keys drone-vault reads inside a secret, plus Hangar's fork switch.
const (
	KeyRepos    = "X-Drone-Repos"
	KeyBranches = "X-Drone-Branches"
	KeyEvents   = "X-Drone-Events"
	KeyForks    = "X-Drone-Forks"
)

// IsKey reports whether k is one of the restriction keys (any case), which
// are never handed out as values.
func IsKey(k string) bool {
	for _, c := range []string{KeyRepos, KeyBranches, KeyEvents, KeyForks} {
		if strings.EqualFold(k, c) {
			return true
		}
	}
	return false
}

// FromKeys reads the restriction keys of a secret's data (any case, as
// drone-vault does). A value that is not a string is ignored, and a forks
// value that is not a boolean refuses forks.
func FromKeys(origin string, data map[string]any) Rule {
	r := Rule{Origin: origin}
	for k, v := range data {
		s, ok := v.(string)
		if !ok {
			continue
		}
		switch {
		case strings.EqualFold(k, KeyRepos):
			r.Repos = Split(s)
		case strings.EqualFold(k, KeyBranches):
			r.Branches = Split(s)
		case strings.EqualFold(k, KeyEvents):
			r.Events = Split(s)
		case strings.EqualFold(k, KeyForks):
			b, err := strconv.ParseBool(strings.TrimSpace(s))
			b = b && err == nil
			r.Forks = &b
		}
	}
	return r
}
