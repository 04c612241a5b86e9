package foreign

import (
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ruleIf matches the rule conditions that convert: one predefined
// variable, alone (set) or compared with == to a quoted string or to
// $CI_DEFAULT_BRANCH.
var ruleIf = regexp.MustCompile(`^\$(\w+)(?:\s*==\s*(?:"([^"]*)"|'([^']*)'|\$(CI_DEFAULT_BRANCH)))?$`)

// ruleRefs maps a rule's variable test to refs or events.
func ruleRefs(name, value string, compared bool) (*refSet, bool) {
	s := &refSet{}
	switch {
	case name == "CI_COMMIT_BRANCH" && compared:
		s.refs = []string{"refs/heads/" + value}
	case name == "CI_COMMIT_BRANCH":
		s.refs = []string{"refs/heads/**"}
	case name == "CI_COMMIT_TAG" && compared:
		s.refs = []string{"refs/tags/" + value}
	case name == "CI_COMMIT_TAG":
		s.refs = []string{"refs/tags/**"}
	case name == "CI_COMMIT_REF_NAME" && compared:
		s.refs = []string{"refs/heads/" + value, "refs/tags/" + value}
	case name == "CI_MERGE_REQUEST_IID" && !compared:
		s.addEvents("pull_request")
		s.mr = true
	case name == "CI_PIPELINE_SOURCE" && compared:
		events, ok := map[string][]string{
			"merge_request_event": {"pull_request"}, "push": {"push", "tag"}, "schedule": {"cron"},
			"web": {"custom"}, "api": {"custom"}, "trigger": {"custom"},
		}[value]
		if !ok {
			return nil, false
		}
		s.addEvents(events...)
		s.mr = value == "merge_request_event"
	default:
		return nil, false
	}
	return s, true
}

// rules converts the simple forms of `rules:`: each rule an `if:` from
// ruleIf and an optional `when:`. Rules ending in `when: never` become
// except, the others only, which is GitLab's first-match order as long as
// every `never` rule comes first; a last rule without `if` matches every
// remaining pipeline. The others' `when` must agree; it is returned.
func (g *gitlab) rules(path string, n *yaml.Node) (only, except *refSet, when string) {
	n = deref(n)
	if n.Kind != yaml.SequenceNode {
		g.problem(n, path, "must be a list of rules")
		return nil, nil, ""
	}
	only, except = &refSet{}, &refSet{}
	positive, catchAll, catchAllPaths := false, false, false
	positives := 0
	for i, r := range n.Content {
		var cond *refSet
		var paths []string
		var pathsAt *yaml.Node
		ruleWhen := "on_success"
		for _, kv := range pairs(r) {
			at := path + "." + kv.key.Value
			switch kv.key.Value {
			case "if":
				expr := strings.TrimSpace(g.str(at, kv.val))
				m := ruleIf.FindStringSubmatch(expr)
				var ok bool
				switch {
				case m == nil:
				case m[4] != "" && g.defaultBranch == "":
					g.problem(kv.key, at, "%q needs the repository's default branch, which is not known here", expr)
					continue
				case m[4] != "":
					cond, ok = ruleRefs(m[1], g.defaultBranch, true)
				default:
					cond, ok = ruleRefs(m[1], m[2]+m[3], strings.Contains(expr, "=="))
				}
				if !ok {
					g.problem(kv.key, at, "%q is not supported: only $CI_COMMIT_BRANCH, $CI_COMMIT_TAG, $CI_COMMIT_REF_NAME, $CI_PIPELINE_SOURCE == \"…\" (or $CI_DEFAULT_BRANCH) and $CI_MERGE_REQUEST_IID convert", expr)
				}
			case "when":
				ruleWhen = g.str(at, kv.val)
			case "changes":
				paths, pathsAt = g.changes(at, kv.val), kv.key
			default:
				g.problem(kv.key, at, "is not supported in rules (if, when are)")
			}
		}
		if ruleWhen != "never" {
			positives++
		}
		if paths != nil {
			// A rule's changes join its if; across rules they would be
			// alternatives, which one Drone trigger cannot hold.
			if ruleWhen == "never" || positives > 1 || i+1 < len(n.Content) {
				g.problem(pathsAt, path+".changes", "is only supported in the last rule, when it is the only one that runs the job")
			}
			only.paths, only.pathsAt = paths, pathsAt
			if cond == nil {
				cond = &refSet{}
				catchAllPaths = true
			}
		}
		if ruleWhen == "never" {
			if positive {
				g.problem(r, path, "rule %d: a `when: never` rule after a rule that runs the job cannot be converted; put it first", i+1)
			}
			if cond != nil {
				except.refs = append(except.refs, cond.refs...)
				except.addEvents(cond.events...)
			}
			continue
		}
		if positive && ruleWhen != when {
			g.problem(r, path, "rule %d: `when: %s` differs from an earlier rule's `when: %s`, which one Drone pipeline cannot express", i+1, ruleWhen, when)
		}
		positive, when = true, ruleWhen
		if cond == nil {
			catchAll = true
			continue
		}
		only.refs = append(only.refs, cond.refs...)
		only.addEvents(cond.events...)
		only.mr = only.mr || cond.mr
	}
	if !positive {
		g.problem(n, path, "no rule runs the job")
	}
	if catchAll {
		only = nil
	} else if catchAllPaths && len(only.refs)+len(only.events) == 0 {
		// `- changes: […]` alone: every pipeline source GitLab runs by
		// default, when a matching file changed.
		only = &refSet{paths: only.paths}
	}
	if len(except.refs)+len(except.events) == 0 {
		except = nil
	}
	if when == "on_success" {
		when = ""
	}
	return only, except, when
}
