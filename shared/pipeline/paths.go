package pipeline

import (
	"slices"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	"go.yaml.in/yaml/v3"
)

// PathCondition is `trigger: paths:` on a pipeline or `when: paths:` on a
// step. Drone never evaluates it (its skipPaths is commented out); Hangar
// does, with Woodpecker's semantics (runners-ha-research.md §3.5):
//
//   - ignore_message found in the commit message (case-insensitive): match;
//   - no changed files: on_empty (default true);
//   - exclude vetoes only when every changed file matches an exclude pattern;
//   - include matches when any changed file matches an include pattern.
//
// Patterns are doublestar globs over the repository-relative path.
type PathCondition struct {
	Include       []string
	Exclude       []string
	IgnoreMessage string
	// OnEmpty is the answer when the build has no changed files (an empty
	// commit, or an event without a diff); nil means true.
	OnEmpty *bool
}

// IsEmpty reports whether the condition says nothing, so that it matches
// everything without changed files being needed.
func (c *PathCondition) IsEmpty() bool {
	return len(c.Include) == 0 && len(c.Exclude) == 0 && c.IgnoreMessage == "" && c.OnEmpty == nil
}

// UnmarshalYAML accepts a scalar (one include pattern), a sequence (include
// patterns) or {include, exclude, ignore_message, on_empty}, where include
// and exclude may each be a scalar or a sequence. Like Drone's conditions
// it never fails a parse: what does not decode is left out, so the
// condition matches more, never less.
func (c *PathCondition) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.AliasNode:
		return c.UnmarshalYAML(n.Alias)
	case yaml.ScalarNode, yaml.SequenceNode:
		var list stringOrList
		_ = n.Decode(&list)
		c.Include = list
	case yaml.MappingNode:
		var obj struct {
			Include       stringOrList `yaml:"include"`
			Exclude       stringOrList `yaml:"exclude"`
			IgnoreMessage string       `yaml:"ignore_message"`
			OnEmpty       *bool        `yaml:"on_empty"`
		}
		_ = n.Decode(&obj)
		c.Include, c.Exclude, c.IgnoreMessage, c.OnEmpty = obj.Include, obj.Exclude, obj.IgnoreMessage, obj.OnEmpty
	}
	return nil
}

type stringOrList []string

func (s *stringOrList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		var v string
		if err := n.Decode(&v); err != nil {
			return err
		}
		*s = []string{v}
		return nil
	}
	var l []string
	if err := n.Decode(&l); err != nil {
		return err
	}
	*s = l
	return nil
}

// Changes are the files a build changed, as the trigger matches path
// conditions against them. A nil *Changes means paths are not evaluated
// (Drone's behaviour): every path condition matches.
//
// Matching remembers each include pattern's answer and each exclude
// list's answer, so fifty pipelines sharing patterns over thousands of
// files scan the files once per distinct pattern. A Changes is therefore
// not safe for concurrent use.
type Changes struct {
	// Files are repository-relative paths; a renamed file appears under
	// its old and its new path.
	Files []string
	// All means the list is known to be incomplete (a truncated compare,
	// an SCM error): every path condition matches, so everything runs.
	All bool
	// Message is the commit message, for ignore_message.
	Message string

	sorted  []string        // Files, sorted, for prefix searches
	include map[string]bool // pattern → some file matches it
	exclude map[string]bool // joined patterns → every file matches one
}

// Match reports whether the condition lets the unit run for ch, and when
// it does not, why, in words fit for the build page ("no change under
// services/api/**").
func (c *PathCondition) Match(ch *Changes) (bool, string) {
	if ch == nil || ch.All || c.IsEmpty() {
		return true, ""
	}
	if c.IgnoreMessage != "" && strings.Contains(strings.ToLower(ch.Message), strings.ToLower(c.IgnoreMessage)) {
		return true, ""
	}
	if len(ch.Files) == 0 {
		if c.OnEmpty == nil || *c.OnEmpty {
			return true, ""
		}
		return false, "no changed files (on_empty: false)"
	}
	if len(c.Exclude) > 0 && ch.allExcluded(c.Exclude) {
		return false, "every changed file is excluded by " + strings.Join(c.Exclude, ", ")
	}
	if len(c.Include) > 0 && !ch.anyIncluded(c.Include) {
		return false, "no change under " + strings.Join(c.Include, ", ")
	}
	return true, ""
}

func (ch *Changes) anyIncluded(patterns []string) bool {
	if ch.include == nil {
		ch.include = map[string]bool{}
		ch.sorted = ch.Files // shared/scm lists them sorted already
		if !slices.IsSorted(ch.sorted) {
			ch.sorted = slices.Clone(ch.Files)
			slices.Sort(ch.sorted)
		}
	}
	for _, p := range patterns {
		hit, ok := ch.include[p]
		if !ok {
			hit = anyFile(p, ch.sorted)
			ch.include[p] = hit
		}
		if hit {
			return true
		}
	}
	return false
}

// anyFile reports whether pattern matches one of the sorted files. Only
// the files starting with the pattern's literal prefix can match, and in a
// sorted list they are one run found by binary search, so a pattern like
// services/api/** looks at its own directory's files only.
func anyFile(pattern string, sorted []string) bool {
	prefix := pattern
	if i := strings.IndexAny(pattern, `*?[{\`); i >= 0 {
		prefix = pattern[:i]
	}
	// "a/**" also matches "a" itself.
	prefix = strings.TrimSuffix(prefix, "/")
	i, _ := slices.BinarySearch(sorted, prefix)
	for _, f := range sorted[i:] {
		if !strings.HasPrefix(f, prefix) {
			break
		}
		// Match per file as the other conditions do: doublestar's
		// ValidatePattern disagrees with Match on some escapes.
		if ok, err := doublestar.Match(pattern, f); ok && err == nil {
			return true
		}
	}
	return false
}

func (ch *Changes) allExcluded(patterns []string) bool {
	key := strings.Join(patterns, "\x00")
	if ch.exclude == nil {
		ch.exclude = map[string]bool{}
	}
	if all, ok := ch.exclude[key]; ok {
		return all
	}
	all := true
	for _, f := range ch.Files {
		if !anyMatch(patterns, f) {
			all = false
			break
		}
	}
	ch.exclude[key] = all
	return all
}

// UsesPaths reports whether any pipeline trigger or step condition of m
// has a path condition, so that changed files are worth asking the SCM
// for.
func (m *Manifest) UsesPaths() bool {
	for _, p := range m.Pipelines() {
		if !p.Trigger.Paths.IsEmpty() {
			return true
		}
		for _, s := range p.Steps {
			if !s.When.Paths.IsEmpty() {
				return true
			}
		}
	}
	return false
}
