// Package scm reads files of repositories on GitHub and GitLab through
// their APIs (go-github and GitLab's client-go): the config repository when
// it is remote, and the repository being built for Starlark load() and the
// core server's fallback to the repository's own pipeline file.
package scm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/hangar-ci/hangar/shared/envconf"
)

// ErrNotFound is wrapped by errors for a file, ref or repository that does
// not exist.
var ErrNotFound = errors.New("not found")

// Client reads files of repositories on one SCM.
type Client interface {
	// ReadFile returns the content of path in the repository slug
	// ("namespace/name") at ref (a commit sha, branch or tag).
	ReadFile(ctx context.Context, slug, ref, path string) ([]byte, error)
}

// Options select and reach an SCM.
type Options struct {
	Kind    string // "github" or "gitlab"
	BaseURL string // API base: GitHub Enterprise https://host/api/v3/, GitLab https://host/api/v4
	Token   string
	Timeout time.Duration
}

// OptionsFromEnv reads HANGAR_SCM (github or gitlab; empty when neither
// is configured), HANGAR_GITHUB_URL / HANGAR_GITHUB_TOKEN and
// HANGAR_GITLAB_URL / HANGAR_GITLAB_TOKEN. Drone's DRONE_GITHUB_SERVER and
// DRONE_GITLAB_SERVER are accepted for the URLs.
func OptionsFromEnv(lookup envconf.Lookup) (Options, error) {
	r := envconf.New(lookup)
	o := Options{Kind: r.String("", "HANGAR_SCM"), Timeout: r.Duration(30*time.Second, "HANGAR_SCM_TIMEOUT")}
	switch o.Kind {
	case "":
	case "github":
		o.BaseURL = r.String("", "HANGAR_GITHUB_URL", "DRONE_GITHUB_SERVER")
		o.Token = r.String("", "HANGAR_GITHUB_TOKEN")
	case "gitlab":
		o.BaseURL = r.String("https://gitlab.com/api/v4", "HANGAR_GITLAB_URL", "DRONE_GITLAB_SERVER")
		o.Token = r.String("", "HANGAR_GITLAB_TOKEN")
		r.Check(o.Token != "", "HANGAR_GITLAB_TOKEN", "must be set to read files through the GitLab API")
	default:
		r.Fail("HANGAR_SCM", "%q is not github or gitlab", o.Kind)
	}
	r.Check(o.Timeout > 0, "HANGAR_SCM_TIMEOUT", "must be positive")
	return o, r.Err()
}

// FromEnv returns the configured client, or nil when HANGAR_SCM is unset.
func FromEnv(lookup envconf.Lookup) (Client, error) {
	o, err := OptionsFromEnv(lookup)
	if err != nil || o.Kind == "" {
		return nil, err
	}
	return New(o)
}

// New returns the client Options describe.
func New(o Options) (Client, error) {
	hc := &http.Client{Timeout: o.Timeout}
	switch o.Kind {
	case "github":
		return NewGitHub(o.BaseURL, o.Token, hc)
	case "gitlab":
		return NewGitLab(o.BaseURL, o.Token, hc)
	}
	return nil, fmt.Errorf("scm: kind %q is not github or gitlab", o.Kind)
}

// splitSlug splits "namespace/name"; GitLab namespaces may nest.
func splitSlug(slug string) (string, string, error) {
	i := strings.LastIndexByte(slug, '/')
	if i <= 0 || i == len(slug)-1 {
		return "", "", fmt.Errorf("scm: repository %q is not namespace/name", slug)
	}
	return slug[:i], slug[i+1:], nil
}
