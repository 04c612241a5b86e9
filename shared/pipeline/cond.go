package pipeline

import "github.com/bmatcuk/doublestar/v4"

// Condition is one key of a trigger or when block.
type Condition struct {
	Include []string
	Exclude []string
}

// Match reports whether v satisfies the condition, as Drone decides: false
// if any exclude pattern matches (exclude wins), else true if any include
// pattern matches, else true only when there is no include pattern.
// Patterns are case-sensitive doublestar globs over the whole value with
// "/" as separator, so `*` does not cross a "/" and `**` as a path segment
// does; an invalid pattern matches nothing.
func (c *Condition) Match(v string) bool {
	if c.Excludes(v) {
		return false
	}
	if c.Includes(v) {
		return true
	}
	return len(c.Include) == 0
}

// Includes reports whether an include pattern matches v.
func (c *Condition) Includes(v string) bool { return anyMatch(c.Include, v) }

// Excludes reports whether an exclude pattern matches v.
func (c *Condition) Excludes(v string) bool { return anyMatch(c.Exclude, v) }

// IsEmpty reports whether the condition has no pattern at all.
func (c *Condition) IsEmpty() bool { return len(c.Include) == 0 && len(c.Exclude) == 0 }

func anyMatch(patterns []string, v string) bool {
	for _, p := range patterns {
		if ok, err := doublestar.Match(p, v); ok && err == nil {
			return true
		}
	}
	return false
}

// Conditions is a pipeline's trigger or a step's when block.
type Conditions struct {
	Action   Condition         `yaml:"action"`
	Branch   Condition         `yaml:"branch"`
	Cron     Condition         `yaml:"cron"`
	Event    Condition         `yaml:"event"`
	Instance Condition         `yaml:"instance"`
	Paths    PathCondition     `yaml:"paths"`
	Ref      Condition         `yaml:"ref"`
	Repo     Condition         `yaml:"repo"`
	Status   Condition         `yaml:"status"`
	Target   Condition         `yaml:"target"`
	Matrix   map[string]string `yaml:"matrix"`
}

// Values are what the server matches a pipeline's trigger against.
type Values struct {
	Branch string // the build's target branch
	Event  string // push, pull_request, tag, cron, custom, promote, rollback
	Action string // e.g. opened, synchronized, create
	Ref    string // the full git ref
	Repo   string // namespace/name
	Target string // deploy_to of a promotion
	Cron   string // the cron job's name, empty for other events
	// Changes, when set, makes Plan evaluate path conditions (which Drone
	// never does): trigger paths skip pipelines, when paths skip steps.
	Changes *Changes
}

// Match reports whether the trigger matches v, checking the conditions in
// Drone's order (branch, event, action, ref, repo, target, cron); when it
// does not, failed names the first condition that failed. instance, paths,
// matrix and status are not evaluated: the Drone server does not either.
func (c *Conditions) Match(v Values) (ok bool, failed string) {
	checks := [...]struct {
		name string
		cond *Condition
		val  string
	}{
		{"branch", &c.Branch, v.Branch},
		{"event", &c.Event, v.Event},
		{"action", &c.Action, v.Action},
		{"ref", &c.Ref, v.Ref},
		{"repo", &c.Repo, v.Repo},
		{"target", &c.Target, v.Target},
		{"cron", &c.Cron, v.Cron},
	}
	for _, ch := range checks {
		if !ch.cond.Match(ch.val) {
			return false, ch.name
		}
	}
	return true, ""
}

// OnSuccess reports whether the pipeline runs when its dependencies
// succeeded: status matches "success" (true without a status condition).
func (c *Conditions) OnSuccess() bool { return c.Status.Match("success") }

// OnFailure reports whether the pipeline runs when a dependency failed:
// status matches "failure", and only when a status condition is written.
func (c *Conditions) OnFailure() bool {
	return !c.Status.IsEmpty() && c.Status.Match("failure")
}
