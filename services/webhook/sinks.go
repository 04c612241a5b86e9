package webhook

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"regexp"
	"time"

	"github.com/bmatcuk/doublestar/v4"
	"go.yaml.in/yaml/v3"

	"github.com/hangar-ci/hangar/shared/envconf"
)

// Sink kinds.
const (
	KindHTTP  = "http"  // the JSON event, signed with Drone's scheme
	KindSlack = "slack" // a readable message for a Slack-style incoming webhook
)

// Defaults for a sink's delivery settings.
const (
	DefaultTimeout     = 10 * time.Second
	DefaultMaxAttempts = 10
	DefaultBackoff     = time.Second
	DefaultMaxBackoff  = 5 * time.Minute
	DefaultConcurrency = 4
)

// Sink is one destination of the sinks file.
type Sink struct {
	Name string `yaml:"name"`
	Kind string `yaml:"kind"`
	URL  string `yaml:"url"`
	// Events are Go filepath.Match patterns over "event:action", as
	// Drone's DRONE_WEBHOOK_EVENTS; empty means every event.
	Events []string `yaml:"events"`
	// Repos are doublestar globs over the repository slug; empty means
	// every repository.
	Repos []string `yaml:"repos"`
	// Status lists build statuses; when set, only build events whose
	// build has one of them match.
	Status []string `yaml:"status"`
	// Secret signs HTTP deliveries; SecretEnv names an environment
	// variable holding it, so the config repository need not.
	Secret      string        `yaml:"secret"`
	SecretEnv   string        `yaml:"secret_env"`
	Timeout     time.Duration `yaml:"timeout"`
	MaxAttempts int           `yaml:"max_attempts"`
	Backoff     time.Duration `yaml:"backoff"`
	MaxBackoff  time.Duration `yaml:"max_backoff"`
	// Concurrency bounds the deliveries in flight to this sink (each to a
	// different build, since a build's events go in order).
	Concurrency int `yaml:"concurrency"`
}

type sinksFile struct {
	Sinks []Sink `yaml:"sinks"`
}

var sinkNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// parseSinks reads a sinks file strictly and returns every problem at once.
// Secrets named by secret_env are resolved through lookup.
func parseSinks(b []byte, lookup envconf.Lookup) ([]Sink, error) {
	var f sinksFile
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	// An empty file (or one of comments only) means "no sinks".
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	var errs []error
	seen := map[string]bool{}
	for i := range f.Sinks {
		s := &f.Sinks[i]
		fail := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("sink %d (%s): %s", i+1, s.Name, fmt.Sprintf(format, args...)))
		}
		if !sinkNameRE.MatchString(s.Name) {
			fail("name must be lower-case letters, digits, - and _")
		}
		if seen[s.Name] {
			fail("name used twice")
		}
		seen[s.Name] = true
		if s.Kind == "" {
			s.Kind = KindHTTP
		}
		if s.Kind != KindHTTP && s.Kind != KindSlack {
			fail("kind %q is not http or slack", s.Kind)
		}
		if u, err := url.Parse(s.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			fail("url must be an absolute http or https URL")
		}
		for _, p := range s.Events {
			if _, err := filepath.Match(p, "build:created"); err != nil {
				fail("events pattern %q: %v", p, err)
			}
		}
		for _, p := range s.Repos {
			if !doublestar.ValidatePattern(p) {
				fail("repos pattern %q is not a valid glob", p)
			}
		}
		if s.SecretEnv != "" {
			if s.Secret != "" {
				fail("set secret or secret_env, not both")
			}
			if lookup != nil {
				s.Secret, _ = lookup(s.SecretEnv)
			}
			if s.Secret == "" {
				fail("secret_env %s is not set", s.SecretEnv)
			}
		}
		if s.Kind == KindHTTP && s.Secret == "" {
			fail("an http sink needs a secret (or secret_env) to sign with")
		}
		defaults(s)
		if s.Timeout <= 0 || s.Backoff <= 0 || s.MaxBackoff < s.Backoff {
			fail("timeout and backoff must be positive, max_backoff at least backoff")
		}
		if s.MaxAttempts <= 0 || s.Concurrency <= 0 || s.Concurrency > 64 {
			fail("max_attempts must be positive, concurrency between 1 and 64")
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return f.Sinks, nil
}

func defaults(s *Sink) {
	if s.Timeout == 0 {
		s.Timeout = DefaultTimeout
	}
	if s.MaxAttempts == 0 {
		s.MaxAttempts = DefaultMaxAttempts
	}
	if s.Backoff == 0 {
		s.Backoff = DefaultBackoff
	}
	if s.MaxBackoff == 0 {
		s.MaxBackoff = max(DefaultMaxBackoff, s.Backoff)
	}
	if s.Concurrency == 0 {
		s.Concurrency = DefaultConcurrency
	}
}

// Match reports whether the sink takes e.
func (s *Sink) Match(e Event) bool {
	if len(s.Events) > 0 && !anyMatch(s.Events, e.Event+":"+e.Action, filepath.Match) {
		return false
	}
	if len(s.Repos) > 0 && !anyMatch(s.Repos, e.Repo, doublestar.Match) {
		return false
	}
	if len(s.Status) > 0 {
		if e.BuildID == 0 {
			return false
		}
		for _, st := range s.Status {
			if st == e.Status {
				return true
			}
		}
		return false
	}
	return true
}

func anyMatch(patterns []string, name string, match func(string, string) (bool, error)) bool {
	for _, p := range patterns {
		if ok, _ := match(p, name); ok {
			return true
		}
	}
	return false
}
