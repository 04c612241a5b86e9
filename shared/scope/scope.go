// Package scope decides whether a credential may be released to a build:
// repository, branch and event globs in drone-vault's form (comma-separated,
// case-insensitive, path.Match syntax), pull requests matched on their
// source branch as well as their target, and pull requests from forks
// refused unless a rule allows them. Several rules combine by AND, so a
// central policy added to a secret's own rule can only narrow it.
package scope

import (
	"fmt"
	"path"
	"strings"

	"github.com/drone/drone-go/drone"

	"github.com/hangar-ci/hangar/shared/wire"
)

// Rule restricts where a credential may go. An empty list allows any value.
type Rule struct {
	// Origin names where the rule comes from ("secret", "policy rule 2"),
	// for the reason of a denial.
	Origin   string
	Repos    []string
	Branches []string
	Events   []string
	// Forks allows (true) or refuses (false) pull requests from forks;
	// nil leaves the decision to other rules, and forks are refused when
	// no rule allows them.
	Forks *bool
}

// Build is what rules are matched against.
type Build struct {
	Repo   string // namespace/name
	Event  string // push, pull_request, tag, …
	Target string // target branch (the branch for a push)
	Source string // source branch of a pull request
	Fork   bool   // a pull request from another repository
}

// FromSubject maps the repository and build of a Drone request to a Build.
func FromSubject(s wire.Subject) Build {
	slug := s.Repo.SlugOrNames()
	build := s.Build
	b := Build{Repo: slug, Event: build.Event, Target: build.Target, Source: build.Source}
	if build.Event == drone.EventPullRequest {
		// Drone fills source_repo with the head repository; a value other
		// than the repository itself is a fork, and so is a pull request
		// that does not say where it comes from (fail closed).
		b.Fork = !strings.EqualFold(build.Fork, slug)
	}
	return b
}

// Denied is the reason a rule refused a build. It never carries a value.
type Denied struct{ Reason string }

func (d *Denied) Error() string { return "not allowed: " + d.Reason }

// Check returns nil when every rule allows b, else a *Denied naming the
// first rule and condition that refused it.
func Check(b Build, rules ...Rule) error {
	forkAllowed := false
	for _, r := range rules {
		if !Match(b.Repo, r.Repos) {
			return denied(r, "repository %q does not match %v", b.Repo, r.Repos)
		}
		if !Match(b.Event, r.Events) {
			return denied(r, "event %q does not match %v", b.Event, r.Events)
		}
		if !Match(b.Target, r.Branches) {
			return denied(r, "branch %q does not match %v", b.Target, r.Branches)
		}
		// drone-vault checks only the target, so a "main only" secret
		// reached every pull request into main; the source branch is where
		// the pull request's code comes from.
		if b.Event == drone.EventPullRequest && len(r.Branches) > 0 && !Match(b.Source, r.Branches) {
			return denied(r, "pull request source branch %q does not match %v", b.Source, r.Branches)
		}
		if r.Forks != nil {
			if !*r.Forks && b.Fork {
				return denied(r, "pull requests from forks are refused")
			}
			forkAllowed = forkAllowed || *r.Forks
		}
	}
	if b.Fork && !forkAllowed {
		return &Denied{Reason: "pull request from a fork, and no rule allows forks"}
	}
	return nil
}

func denied(r Rule, format string, args ...any) error {
	reason := fmt.Sprintf(format, args...)
	if r.Origin != "" {
		reason = r.Origin + ": " + reason
	}
	return &Denied{Reason: reason}
}

// Match reports whether name matches one of patterns (path.Match syntax,
// case-insensitive), or patterns is empty. A malformed pattern matches
// nothing.
func Match(name string, patterns []string) bool {
	if len(patterns) == 0 {
		return true
	}
	name = strings.ToLower(name)
	for _, p := range patterns {
		if ok, _ := path.Match(strings.ToLower(p), name); ok {
			return true
		}
	}
	return false
}

// Split parses drone-vault's comma-separated list, trimming spaces and
// dropping empty entries.
func Split(s string) []string {
	var out []string
	for p := range strings.SplitSeq(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
