package core

import (
	"time"

	"github.com/hangar-ci/hangar/services/core/auth"
	"github.com/hangar-ci/hangar/shared/envconf"
)

// AuthOptions configure users, login and the values kept secret at rest.
// Drone's variable names throughout.
type AuthOptions struct {
	// DatabaseSecret seals secrets, API tokens and SCM tokens (AES-GCM).
	DatabaseSecret string
	// UserCreate is DRONE_USER_CREATE, a user made at start.
	UserCreate string
	// UserFilter lists the logins and organisations allowed to register
	// (empty: everyone); RegistrationClosed refuses every new login.
	UserFilter         []string
	RegistrationClosed bool
	// CookieSecret signs session cookies; CookieTimeout is their life.
	CookieSecret  string
	CookieTimeout time.Duration
	// PermMaxAge bounds how old a synced SCM permission may be.
	PermMaxAge time.Duration
	// OAuth2 applications for login; an empty client id disables that
	// SCM's login. The servers are GitHubURL and GitLabURL.
	GitHubClientID, GitHubClientSecret string
	GitLabClientID, GitLabClientSecret string
	// CronInterval is how often the cron scheduler looks for due jobs
	// (0 disables it).
	CronInterval time.Duration
}

func authFromEnv(r *envconf.Reader) AuthOptions {
	return AuthOptions{
		DatabaseSecret:     r.String("", "DRONE_DATABASE_SECRET"),
		UserCreate:         r.String("", "DRONE_USER_CREATE"),
		UserFilter:         r.List(nil, "DRONE_USER_FILTER"),
		RegistrationClosed: r.Bool(false, "DRONE_REGISTRATION_CLOSED"),
		CookieSecret:       r.String("", "DRONE_COOKIE_SECRET"),
		CookieTimeout:      r.Duration(720*time.Hour, "DRONE_COOKIE_TIMEOUT"),
		PermMaxAge:         r.Duration(time.Hour, "HANGAR_PERM_MAX_AGE"),
		CronInterval:       r.Duration(30*time.Second, "DRONE_CRON_INTERVAL"),
		GitHubClientID:     r.String("", "DRONE_GITHUB_CLIENT_ID"),
		GitHubClientSecret: r.String("", "DRONE_GITHUB_CLIENT_SECRET"),
		GitLabClientID:     r.String("", "DRONE_GITLAB_CLIENT_ID"),
		GitLabClientSecret: r.String("", "DRONE_GITLAB_CLIENT_SECRET"),
	}
}

func (o AuthOptions) check(r *envconf.Reader) {
	r.Check(o.DatabaseSecret == "" || len(o.DatabaseSecret) >= 32, "DRONE_DATABASE_SECRET", "must be at least 32 bytes")
	if o.UserCreate != "" {
		_, err := auth.ParseSeed(o.UserCreate)
		r.Check(err == nil, "DRONE_USER_CREATE", "%v", err)
	}
	r.Check(o.CookieSecret == "" || len(o.CookieSecret) >= 16, "DRONE_COOKIE_SECRET", "must be at least 16 bytes")
	r.Check(o.GitHubClientID == "" || o.GitHubClientSecret != "", "DRONE_GITHUB_CLIENT_SECRET", "must be set with DRONE_GITHUB_CLIENT_ID")
	r.Check(o.GitLabClientID == "" || o.GitLabClientSecret != "", "DRONE_GITLAB_CLIENT_SECRET", "must be set with DRONE_GITLAB_CLIENT_ID")
	r.Check(o.GitHubClientID == "" && o.GitLabClientID == "" || o.DatabaseSecret != "", "DRONE_DATABASE_SECRET", "must be set for login (users' SCM tokens are sealed with it)")
	r.Check(o.CookieTimeout >= 0 && o.PermMaxAge >= 0 && o.CronInterval >= 0, "DRONE_COOKIE_TIMEOUT", "durations must not be negative")
}
