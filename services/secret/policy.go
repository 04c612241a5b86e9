package secret

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/bmatcuk/doublestar/v4"
	"go.yaml.in/yaml/v3"

	"github.com/hangar-ci/hangar/shared/scope"
	"github.com/hangar-ci/hangar/shared/tree"
)

// policyFile is the central policy (_hangar/secrets.yaml). Every rule whose
// paths match a secret applies to it, on top of the secret's own
// X-Drone-* keys; a build must satisfy all of them, so the policy can only
// narrow what a secret's editor allows.
type policyFile struct {
	Rules []policyRule `yaml:"rules"`
}

type policyRule struct {
	// Paths are doublestar globs over the canonical secret path (the API
	// form for KV v2: secret/data/prod/**).
	Paths []string `yaml:"paths"`
	// Names, when set, limits the rule to these keys of the secret.
	Names    []string `yaml:"names"`
	Repos    []string `yaml:"repos"`
	Branches []string `yaml:"branches"`
	Events   []string `yaml:"events"`
	Forks    *bool    `yaml:"forks"`
}

// policySource keeps the central policy of the config repository parsed.
// It is Strict: while the file is broken or unreadable every lookup fails
// closed rather than apply a stale policy that may have been narrowed.
type policySource struct {
	path string
	file *tree.Parsed[*policyFile]
}

func newPolicySource(repo tree.Tree, path string, logger *slog.Logger) *policySource {
	return &policySource{path: path, file: tree.NewParsed(repo, path, parsePolicy, tree.ParsedOptions[*policyFile]{
		Name:   "central secret policy",
		Logger: logger,
		// No file: no central rules.
		IfMissing: func() (*policyFile, error) { return &policyFile{}, nil },
		Strict:    true,
		Describe:  func(f *policyFile) []slog.Attr { return []slog.Attr{slog.Int("rules", len(f.Rules))} },
	})}
}

// rules returns the central rules that apply to the secret at path, key
// name. A missing file means no central rules; a malformed one is an error
// (the caller fails closed).
func (p *policySource) rules(ctx context.Context, path, name string) ([]scope.Rule, error) {
	f, err := p.file.Get(ctx)
	if err != nil || f == nil {
		return nil, err
	}
	var out []scope.Rule
	for i, r := range f.Rules {
		// "*" hands over every key, so it is under every key's rules.
		if !matchAny(r.Paths, path) || (len(r.Names) > 0 && name != "*" && !scope.Match(name, r.Names)) {
			continue
		}
		out = append(out, scope.Rule{
			Origin: fmt.Sprintf("%s rule %d", p.path, i+1),
			Repos:  r.Repos, Branches: r.Branches, Events: r.Events, Forks: r.Forks,
		})
	}
	return out, nil
}

// parsePolicy decodes strictly: an unknown key is a typo that would
// otherwise silently widen access.
func parsePolicy(raw []byte) (*policyFile, error) {
	var f policyFile
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	for i, r := range f.Rules {
		if len(r.Paths) == 0 {
			return nil, fmt.Errorf("rule %d: paths must list at least one glob (use \"**\" for every secret)", i+1)
		}
		for _, g := range r.Paths {
			if !doublestar.ValidatePattern(g) {
				return nil, fmt.Errorf("rule %d: %q is not a valid glob", i+1, g)
			}
		}
	}
	return &f, nil
}

func matchAny(globs []string, path string) bool {
	for _, g := range globs {
		if ok, _ := doublestar.Match(g, path); ok {
			return true
		}
	}
	return false
}
