package foreign

import (
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// gitlabDefaultEvents are the Drone events a GitLab job runs for without
// `only`: GitLab's default `only: [branches, tags]` covers pushes, tags,
// schedules and pipelines run from the web or API, not merge requests.
var gitlabDefaultEvents = []string{"push", "tag", "cron", "custom"}

// gitlabSources map GitLab's pipeline-source keywords to Drone events.
var gitlabSources = map[string][]string{
	"merge_requests": {"pull_request"},
	"schedules":      {"cron"},
	"web":            {"custom"},
	"api":            {"custom"},
	"triggers":       {"custom"},
	"pushes":         {"push", "tag"},
}

// mergeRequestRefs are the refs of merge and pull requests, so that
// `only: [main, merge_requests]` can be one Drone trigger.
var mergeRequestRefs = []string{"refs/merge-requests/**", "refs/pull/**"}

// refSet is what one `only` or `except` names: ref patterns and events.
type refSet struct {
	refs, events []string
	mr           bool
	// paths are `changes:` patterns, written at pathsAt under pathsKey.
	paths    []string
	pathsAt  *yaml.Node
	pathsKey string
}

// conditions makes a job's trigger of its only and except. Both list
// alternatives; a Drone trigger is a conjunction, so `only` converts when
// it names refs, or events, or refs and merge requests (whose refs are
// recognisable); `except` always converts (none of them).
func (g *gitlab) conditions(path string, only, except *refSet, at *yaml.Node) outConditions {
	out := outConditions{}
	events := &outCondition{Include: gitlabDefaultEvents}
	if s := only; s != nil {
		switch {
		case len(s.events) == 0:
			out.set("ref", &outCondition{Include: s.refs})
		case len(s.refs) == 0:
			events.Include = s.events
		case s.mr && len(s.events) == 1:
			events.Include = append(slices.Clone(gitlabDefaultEvents), "pull_request")
			out.set("ref", &outCondition{Include: append(s.refs, mergeRequestRefs...)})
		default:
			g.problem(at, path, "mixes branch or tag names with pipeline sources other than merge requests, which one Drone trigger cannot express")
		}
	}
	if only != nil && only.paths != nil {
		out.set("paths", &outCondition{Include: only.paths})
	}
	if s := except; s != nil {
		if s.paths != nil {
			g.problem(s.pathsAt, s.pathsKey, "cannot be converted: GitLab leaves the job out when any changed file matches, a Drone paths exclude only when every one does")
		}
		if len(s.refs) > 0 {
			if out["ref"] == nil {
				out["ref"] = &outCondition{}
			}
			out["ref"].Exclude = s.refs
		}
		events.Exclude = s.events
	}
	out.set("event", events)
	return out
}

// refSet reads a list of refs and keywords, or {refs: […]}; nil for none.
func (g *gitlab) refSet(path string, n *yaml.Node) *refSet {
	if n == nil {
		return nil
	}
	var entries []string
	s := &refSet{}
	if deref(n).Kind == yaml.MappingNode {
		for _, kv := range pairs(n) {
			switch kv.key.Value {
			case "refs":
				entries = append(entries, g.list(path+".refs", kv.val)...)
			case "changes":
				s.paths, s.pathsAt, s.pathsKey = g.changes(path+".changes", kv.val), kv.key, path+".changes"
			default:
				g.problem(kv.key, path+"."+kv.key.Value, "is not supported (refs, changes are)")
			}
		}
	} else {
		entries = g.list(path, n)
	}
	for _, e := range entries {
		switch {
		case e == "branches":
			s.refs = append(s.refs, "refs/heads/**")
		case e == "tags":
			s.refs = append(s.refs, "refs/tags/**")
		case gitlabSources[e] != nil:
			s.addEvents(gitlabSources[e]...)
			s.mr = s.mr || e == "merge_requests"
		case strings.HasPrefix(e, "/"):
			g.problem(n, path, "regular expression %s is not supported: name the branches or tags", e)
		case strings.Contains(e, "@"):
			g.problem(n, path, "%q names another project, which is not supported", e)
		case e == "external" || e == "pipelines" || e == "chat" || e == "external_pull_requests":
			g.problem(n, path, "pipeline source %q has no Drone equivalent", e)
		default:
			s.refs = append(s.refs, "refs/heads/"+e, "refs/tags/"+e)
		}
	}
	return s
}

func (s *refSet) addEvents(events ...string) {
	for _, ev := range events {
		if !slices.Contains(s.events, ev) {
			s.events = append(s.events, ev)
		}
	}
}

// changes reads `changes: [globs]` or `changes: {paths: [globs]}`: the
// job runs when a changed file matches one, which is a Drone `paths`
// include (Hangar's core evaluates it; a Drone server ignores it). Builds
// without changed files (tags, schedules) run it, as on GitLab.
func (g *gitlab) changes(path string, n *yaml.Node) []string {
	if deref(n).Kind != yaml.MappingNode {
		return g.list(path, n)
	}
	var out []string
	for _, kv := range pairs(n) {
		switch kv.key.Value {
		case "paths":
			out = g.list(path+".paths", kv.val)
		default:
			g.problem(kv.key, path+"."+kv.key.Value, "is not supported (paths is)")
		}
	}
	return out
}
