package wire

// The Drone server's outbound webhook body (drone-protocol.md §3.3) is the
// server's own core types, not drone-go's: a user has "avatar" rather than
// "avatar_url", a repository nests its build as an optional pointer, a
// build's "debug" is omitted when false and stages carry "repo_id". These
// types reproduce that shape exactly, for Hangar's core server (which sends
// it) and its webhook service (which receives it).

// Webhook event names and actions the Drone server emits.
const (
	EventBuild = "build"
	EventRepo  = "repo"
	EventUser  = "user"

	ActionCreated   = "created"
	ActionUpdated   = "updated"
	ActionCompleted = "completed" // documented by Drone, never sent by it; Hangar synthesises it
	ActionEnabled   = "enabled"
	ActionDisabled  = "disabled"
	ActionDeleted   = "deleted"
)

// WebhookPayload is the body of one outbound webhook.
type WebhookPayload struct {
	Event  string      `json:"event"`
	Action string      `json:"action"`
	User   *User       `json:"user,omitempty"`
	Repo   *Repository `json:"repo,omitempty"`
	Build  *Build      `json:"build,omitempty"`
	System *System     `json:"system,omitempty"`
}

// User is the server's core.User as serialised.
type User struct {
	ID        int64  `json:"id"`
	Login     string `json:"login"`
	Email     string `json:"email"`
	Machine   bool   `json:"machine"`
	Admin     bool   `json:"admin"`
	Active    bool   `json:"active"`
	Avatar    string `json:"avatar"`
	Syncing   bool   `json:"syncing"`
	Synced    int64  `json:"synced"`
	Created   int64  `json:"created"`
	Updated   int64  `json:"updated"`
	LastLogin int64  `json:"last_login"`
}

// Repository is the server's core.Repository as serialised.
type Repository struct {
	ID          int64  `json:"id"`
	UID         string `json:"uid"`
	UserID      int64  `json:"user_id"`
	Namespace   string `json:"namespace"`
	Name        string `json:"name"`
	Slug        string `json:"slug"`
	SCM         string `json:"scm"`
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
	Throttle    int64  `json:"throttle,omitempty"`
	Counter     int64  `json:"counter"`
	Synced      int64  `json:"synced"`
	Created     int64  `json:"created"`
	Updated     int64  `json:"updated"`
	Version     int64  `json:"version"`
	Build       *Build `json:"build,omitempty"`
}

// Build is the server's core.Build as serialised.
type Build struct {
	ID           int64             `json:"id"`
	RepoID       int64             `json:"repo_id"`
	Trigger      string            `json:"trigger"`
	Number       int64             `json:"number"`
	Parent       int64             `json:"parent,omitempty"`
	Status       string            `json:"status"`
	Error        string            `json:"error,omitempty"`
	Event        string            `json:"event"`
	Action       string            `json:"action"`
	Link         string            `json:"link"`
	Timestamp    int64             `json:"timestamp"`
	Title        string            `json:"title,omitempty"`
	Message      string            `json:"message"`
	Before       string            `json:"before"`
	After        string            `json:"after"`
	Ref          string            `json:"ref"`
	Fork         string            `json:"source_repo"`
	Source       string            `json:"source"`
	Target       string            `json:"target"`
	Author       string            `json:"author_login"`
	AuthorName   string            `json:"author_name"`
	AuthorEmail  string            `json:"author_email"`
	AuthorAvatar string            `json:"author_avatar"`
	Sender       string            `json:"sender"`
	Params       map[string]string `json:"params,omitempty"`
	Cron         string            `json:"cron,omitempty"`
	Deploy       string            `json:"deploy_to,omitempty"`
	DeployID     int64             `json:"deploy_id,omitempty"`
	Debug        bool              `json:"debug,omitempty"`
	Started      int64             `json:"started"`
	Finished     int64             `json:"finished"`
	Created      int64             `json:"created"`
	Updated      int64             `json:"updated"`
	Version      int64             `json:"version"`
	Stages       []*Stage          `json:"stages,omitempty"`
}

// Stage is the server's core.Stage as serialised.
type Stage struct {
	ID        int64             `json:"id"`
	RepoID    int64             `json:"repo_id"`
	BuildID   int64             `json:"build_id"`
	Number    int               `json:"number"`
	Name      string            `json:"name"`
	Kind      string            `json:"kind,omitempty"`
	Type      string            `json:"type,omitempty"`
	Status    string            `json:"status"`
	Error     string            `json:"error,omitempty"`
	ErrIgnore bool              `json:"errignore"`
	ExitCode  int               `json:"exit_code"`
	Machine   string            `json:"machine,omitempty"`
	OS        string            `json:"os"`
	Arch      string            `json:"arch"`
	Variant   string            `json:"variant,omitempty"`
	Kernel    string            `json:"kernel,omitempty"`
	Limit     int               `json:"limit,omitempty"`
	LimitRepo int               `json:"throttle,omitempty"`
	Started   int64             `json:"started"`
	Stopped   int64             `json:"stopped"`
	Created   int64             `json:"created"`
	Updated   int64             `json:"updated"`
	Version   int64             `json:"version"`
	OnSuccess bool              `json:"on_success"`
	OnFailure bool              `json:"on_failure"`
	DependsOn []string          `json:"depends_on,omitempty"`
	Labels    map[string]string `json:"labels,omitempty"`
	Steps     []*Step           `json:"steps,omitempty"`
}

// Step is the server's core.Step as serialised.
type Step struct {
	ID        int64  `json:"id"`
	StageID   int64  `json:"step_id"`
	Number    int    `json:"number"`
	Name      string `json:"name"`
	Status    string `json:"status"`
	Error     string `json:"error,omitempty"`
	ErrIgnore bool   `json:"errignore,omitempty"`
	ExitCode  int    `json:"exit_code"`
	Started   int64  `json:"started,omitempty"`
	Stopped   int64  `json:"stopped,omitempty"`
	Version   int64  `json:"version"`
}

// System describes the server that sent a webhook.
type System struct {
	Proto   string `json:"proto,omitempty"`
	Host    string `json:"host,omitempty"`
	Link    string `json:"link,omitempty"`
	Version string `json:"version,omitempty"`
}
