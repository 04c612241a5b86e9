package core

import (
	"path/filepath"
	"strings"
	"time"

	"github.com/hangar-ci/hangar/shared/envconf"
)

// Options configure the core server. Drone's variable names are used
// wherever Drone has one.
type Options struct {
	// Extension endpoints and secrets; an empty endpoint disables the
	// extension (config then always reads the repository's own file). In
	// `hangar all` unset endpoints default to the in-process services.
	ConfigEndpoint, ConfigSecret     string
	ConvertEndpoint, ConvertSecret   string
	ConvertExtension                 string
	ValidateEndpoint, ValidateSecret string
	ConfigTimeout, ConvertTimeout    time.Duration
	ValidateTimeout                  time.Duration
	// Retries is how many times a call failing with a network error or a
	// 5xx is repeated.
	Retries int
	// CacheSize bounds the per-commit caches of config and convert answers.
	CacheSize int

	// Outbound webhooks.
	WebhookEndpoints []string
	WebhookSecret    string
	WebhookEvents    []string

	// Database.
	DatabaseDriver, DatabaseDatasource string

	// ServerHost and ServerProto build links (commit status targets,
	// webhook "system").
	ServerHost, ServerProto string
	StatusName              string
	StatusDisabled          bool

	// SCM API access, per kind: base URL and token.
	GitHubURL, GitHubToken string
	GitLabURL, GitLabToken string
	SCMTimeout             time.Duration

	// HookSecret checks SCM webhooks of repositories that have no secret
	// of their own.
	HookSecret string
	// MaxHookBody bounds a webhook body.
	MaxHookBody int64
	// APIToken, when set, is the token of a machine admin user "hangar"
	// created (or updated) at start: HANGAR_API_TOKEN keeps working as the
	// API's shared token of earlier Hangar versions.
	APIToken string

	// Runners: the RPC protocol, logs, clone credentials, reaping.
	Runner RunnerOptions
	// Users and login (options_auth.go).
	Auth AuthOptions
}

// OptionsFromEnv reads Options through lookup, reporting every problem at
// once. self is the process's own base URL in `hangar all` ("" alone).
func OptionsFromEnv(lookup envconf.Lookup, self string) (Options, error) {
	r := envconf.New(lookup)
	secret := r.String("", "DRONE_SECRET")
	dataDir := r.String("data", "HANGAR_DATA_DIR")
	o := Options{
		ConfigEndpoint:     r.String(loopback(self, "config"), "DRONE_YAML_ENDPOINT"),
		ConfigSecret:       r.String(secret, "DRONE_YAML_SECRET"),
		ConfigTimeout:      r.Duration(time.Minute, "DRONE_YAML_TIMEOUT"),
		ConvertEndpoint:    r.String(loopback(self, "convert"), "DRONE_CONVERT_PLUGIN_ENDPOINT"),
		ConvertSecret:      r.String(secret, "DRONE_CONVERT_PLUGIN_SECRET"),
		ConvertExtension:   r.String("", "DRONE_CONVERT_PLUGIN_EXTENSION"),
		ConvertTimeout:     r.Duration(time.Minute, "DRONE_CONVERT_TIMEOUT"),
		ValidateEndpoint:   r.String(loopback(self, "validate"), "DRONE_VALIDATE_PLUGIN_ENDPOINT"),
		ValidateSecret:     r.String(secret, "DRONE_VALIDATE_PLUGIN_SECRET"),
		ValidateTimeout:    r.Duration(time.Minute, "DRONE_VALIDATE_TIMEOUT"),
		Retries:            r.Int(2, "HANGAR_EXTENSION_RETRIES"),
		CacheSize:          r.Int(1000, "HANGAR_EXTENSION_CACHE_SIZE"),
		WebhookEndpoints:   r.List(listOf(loopback(self, "webhook")), "DRONE_WEBHOOK_ENDPOINT"),
		WebhookSecret:      r.String(secret, "DRONE_WEBHOOK_SECRET"),
		WebhookEvents:      r.List(nil, "DRONE_WEBHOOK_EVENTS"),
		DatabaseDriver:     r.String("sqlite3", "DRONE_DATABASE_DRIVER"),
		DatabaseDatasource: r.String("", "DRONE_DATABASE_DATASOURCE"),
		ServerHost:         r.String("localhost:3000", "DRONE_SERVER_HOST"),
		ServerProto:        r.String("http", "DRONE_SERVER_PROTO"),
		StatusName:         r.String("continuous-integration/drone", "DRONE_STATUS_NAME"),
		StatusDisabled:     r.Bool(false, "DRONE_STATUS_DISABLED"),
		GitHubURL:          r.String("", "HANGAR_GITHUB_URL", "DRONE_GITHUB_SERVER"),
		GitHubToken:        r.String("", "HANGAR_GITHUB_TOKEN"),
		GitLabURL:          r.String("", "HANGAR_GITLAB_URL", "DRONE_GITLAB_SERVER"),
		GitLabToken:        r.String("", "HANGAR_GITLAB_TOKEN"),
		SCMTimeout:         r.Duration(30*time.Second, "HANGAR_SCM_TIMEOUT"),
		HookSecret:         r.String("", "HANGAR_HOOK_SECRET"),
		MaxHookBody:        r.Bytes(25<<20, "HANGAR_MAX_HOOK_SIZE"),
		APIToken:           r.String("", "HANGAR_API_TOKEN"),
		Auth:               authFromEnv(r),
	}
	o.Runner = runnerOptionsFromEnv(r)
	if o.DatabaseDatasource == "" && isSQLite(o.DatabaseDriver) {
		o.DatabaseDatasource = "file:" + filepath.Join(dataDir, "core.db")
	}
	o.check(r)
	return o, r.Err()
}

// Validate reports every problem with options built by hand.
func (o Options) Validate() error {
	r := envconf.New(envconf.Map(nil))
	o.check(r)
	return r.Err()
}

func (o Options) check(r *envconf.Reader) {
	for _, e := range []struct{ endpoint, secret, name string }{
		{o.ConfigEndpoint, o.ConfigSecret, "DRONE_YAML_SECRET"},
		{o.ConvertEndpoint, o.ConvertSecret, "DRONE_CONVERT_PLUGIN_SECRET"},
		{o.ValidateEndpoint, o.ValidateSecret, "DRONE_VALIDATE_PLUGIN_SECRET"},
	} {
		r.Check(e.endpoint == "" || e.secret != "", e.name, "must be set (or DRONE_SECRET) when its endpoint is")
	}
	r.Check(len(o.WebhookEndpoints) == 0 || o.WebhookSecret != "", "DRONE_WEBHOOK_SECRET", "must be set (or DRONE_SECRET) when DRONE_WEBHOOK_ENDPOINT is")
	for _, d := range []struct {
		v    time.Duration
		name string
	}{{o.ConfigTimeout, "DRONE_YAML_TIMEOUT"}, {o.ConvertTimeout, "DRONE_CONVERT_TIMEOUT"}, {o.ValidateTimeout, "DRONE_VALIDATE_TIMEOUT"}, {o.SCMTimeout, "HANGAR_SCM_TIMEOUT"}} {
		r.Check(d.v > 0, d.name, "must be positive")
	}
	r.Check(o.Retries >= 0 && o.Retries <= 10, "HANGAR_EXTENSION_RETRIES", "must be between 0 and 10")
	r.Check(o.CacheSize > 0, "HANGAR_EXTENSION_CACHE_SIZE", "must be positive")
	r.Check(isSQLite(o.DatabaseDriver) || o.DatabaseDriver == "postgres", "DRONE_DATABASE_DRIVER", "%q is not sqlite3 or postgres", o.DatabaseDriver)
	r.Check(o.DatabaseDatasource != "", "DRONE_DATABASE_DATASOURCE", "must be set for postgres")
	r.Check(o.ServerProto == "http" || o.ServerProto == "https", "DRONE_SERVER_PROTO", "%q is not http or https", o.ServerProto)
	r.Check(o.GitLabURL == "" || o.GitLabToken != "", "HANGAR_GITLAB_TOKEN", "must be set with HANGAR_GITLAB_URL")
	r.Check(o.MaxHookBody > 0, "HANGAR_MAX_HOOK_SIZE", "must be positive")
	o.Runner.check(r)
	o.Auth.check(r)
	for _, p := range o.WebhookEvents {
		_, err := filepath.Match(p, "")
		r.Check(err == nil, "DRONE_WEBHOOK_EVENTS", "%q is not a valid pattern", p)
	}
}

func isSQLite(driver string) bool { return driver == "sqlite3" || driver == "sqlite" }

// loopback is the in-process service's URL in `hangar all`, else "".
func loopback(self, service string) string {
	if self == "" {
		return ""
	}
	return strings.TrimSuffix(self, "/") + "/" + service
}

func listOf(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}
