// Package model holds the core server's domain types: repositories, builds
// and stages as Hangar stores them, and the hook that starts a build. They
// mirror the Drone server's core types (drone-protocol.md §3.2) so the one
// mapper to the wire types stays a field-by-field copy.
package model

// Build and stage statuses, Drone's strings.
const (
	StatusSkipped  = "skipped"
	StatusBlocked  = "blocked"
	StatusDeclined = "declined"
	StatusWaiting  = "waiting_on_dependencies"
	StatusPending  = "pending"
	StatusRunning  = "running"
	StatusPassing  = "success"
	StatusFailing  = "failure"
	StatusKilled   = "killed"
	StatusError    = "error"
)

// Build events, Drone's strings.
const (
	EventPush        = "push"
	EventPullRequest = "pull_request"
	EventTag         = "tag"
	EventPromote     = "promote"
	EventRollback    = "rollback"
	EventCron        = "cron"
	EventCustom      = "custom"
)

// Done reports whether status is terminal.
func Done(status string) bool {
	switch status {
	case StatusWaiting, StatusPending, StatusRunning, StatusBlocked:
		return false
	}
	return true
}

// Failed reports whether status counts as a failure for downstream stages.
func Failed(status string) bool {
	return status == StatusFailing || status == StatusKilled || status == StatusError
}

// Repo is an activated repository.
type Repo struct {
	ID          int64  `json:"id"`
	UID         string `json:"uid"`
	Namespace   string `json:"namespace"`
	Name        string `json:"name"`
	Slug        string `json:"slug"`
	SCM         string `json:"scm"` // "github" or "gitlab"
	HTTPURL     string `json:"git_http_url"`
	SSHURL      string `json:"git_ssh_url"`
	Link        string `json:"link"`
	Branch      string `json:"default_branch"`
	Private     bool   `json:"private"`
	Visibility  string `json:"visibility"`
	Active      bool   `json:"active"`
	Config      string `json:"config_path"`
	Trusted     bool   `json:"trusted"`
	Protected   bool   `json:"protected"`
	IgnoreForks bool   `json:"ignore_forks"`
	IgnorePulls bool   `json:"ignore_pull_requests"`
	CancelPulls bool   `json:"auto_cancel_pull_requests"`
	CancelPush  bool   `json:"auto_cancel_pushes"`
	Timeout     int64  `json:"timeout"`
	Throttle    int64  `json:"throttle"`
	Counter     int64  `json:"counter"`
	// Secret checks the repository's SCM webhooks and keys the signature
	// of protected pipelines; never shown by the API.
	Secret  string `json:"-"`
	Created int64  `json:"created"`
	Updated int64  `json:"updated"`
	Version int64  `json:"version"`
}

// Build is one build of a repository.
type Build struct {
	ID           int64
	RepoID       int64
	Trigger      string
	Number       int64
	Parent       int64
	Status       string
	Error        string
	Event        string
	Action       string
	Link         string
	Timestamp    int64
	Title        string
	Message      string
	Before       string
	After        string
	Ref          string
	Fork         string
	Source       string
	Target       string
	Author       string
	AuthorName   string
	AuthorEmail  string
	AuthorAvatar string
	Sender       string
	Params       map[string]string
	Cron         string
	Deploy       string
	DeployID     int64
	Debug        bool
	// Config is the YAML the trigger resolved (after config, convert and
	// validate); the stages run it, whatever the extensions say later. It
	// is written with the build and read back only by FindBuildConfig.
	Config   string
	Started  int64
	Finished int64
	Created  int64
	Updated  int64
	Version  int64
}

// Stage is one pipeline of a build.
type Stage struct {
	ID        int64
	RepoID    int64
	BuildID   int64
	Number    int
	Name      string
	Kind      string
	Type      string
	Status    string
	Error     string
	ErrIgnore bool
	ExitCode  int
	Machine   string
	OS        string
	Arch      string
	Variant   string
	Kernel    string
	Limit     int
	LimitRepo int
	Started   int64
	Stopped   int64
	Created   int64
	Updated   int64
	Version   int64
	OnSuccess bool
	OnFailure bool
	DependsOn []string
	Labels    map[string]string
	// Offered is when the queue last handed the stage to a polling runner
	// (unix seconds); it is not offered again until the offer expires.
	Offered int64
	// Beat is when the runner holding the stage was last heard from.
	Beat int64
}

// Hook is what an SCM webhook or an API call asks to build (Drone's
// core.Hook).
type Hook struct {
	Parent       int64
	Trigger      string
	Event        string
	Action       string
	Link         string
	Timestamp    int64
	Title        string
	Message      string
	Before       string
	After        string
	Ref          string
	Fork         string
	Source       string
	Target       string
	Author       string
	AuthorName   string
	AuthorEmail  string
	AuthorAvatar string
	Deployment   string
	DeploymentID int64
	Debug        bool
	Cron         string
	Sender       string
	Params       map[string]string
}

// Step is one step of a stage, as the runner reports it.
type Step struct {
	ID        int64
	StageID   int64
	BuildID   int64
	Number    int
	Name      string
	Status    string
	Error     string
	ErrIgnore bool
	ExitCode  int
	Started   int64
	Stopped   int64
	Version   int64
}

// Line is one line of a step's log: its position from 0, the text with
// its newline and the seconds since the step started (Drone's Line).
type Line struct {
	Pos  int    `json:"pos"`
	Out  string `json:"out"`
	Time int64  `json:"time"`
}
