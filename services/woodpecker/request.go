package woodpecker

import (
	"encoding/json"
	"strings"

	"github.com/drone/drone-go/drone"
)

// request is what Woodpecker's server posts to every extension (v3.x):
// {repo, pipeline, netrc?, configuration?}. Only what Hangar decides on is
// read; netrc is never read at all, so it cannot reach a log.
type request struct {
	Repo     repo     `json:"repo"`
	Pipeline pipeline `json:"pipeline"`
	// Configuration is the repository's own files (v3.14+, combined mode)
	// or, when a pipeline is restarted, the files stored from the first run.
	Configuration []file `json:"configuration"`
	// Configs is the same list as Woodpecker ≤ v2.8 named it.
	Configs []file `json:"configs"`
}

// file is one pipeline file, in requests and config answers alike.
type file struct {
	Name string `json:"name"`
	Data string `json:"data"`
}

type repo struct {
	Owner         string          `json:"owner"`
	Name          string          `json:"name"`
	FullName      string          `json:"full_name"`
	ForgeURL      string          `json:"forge_url"`
	CloneURL      string          `json:"clone_url"`
	DefaultBranch string          `json:"default_branch"`
	Private       bool            `json:"private"`
	Visibility    string          `json:"visibility"`
	ConfigFile    string          `json:"config_file"`
	Trusted       json.RawMessage `json:"trusted"`
}

type pipeline struct {
	Number   int64           `json:"number"`
	Event    string          `json:"event"`
	Branch   string          `json:"branch"`
	Ref      string          `json:"ref"`
	Refspec  string          `json:"refspec"`
	Commit   json.RawMessage `json:"commit"`
	Message  string          `json:"message"`
	Title    string          `json:"title"`
	Author   string          `json:"author"`
	Sender   string          `json:"sender"`
	DeployTo string          `json:"deploy_to"`
	Cron     string          `json:"cron"`
	FromFork bool            `json:"from_fork"`
	// Newer servers nest commit, pull request and deployment details.
	CommitPipeline *struct {
		SHA     string `json:"sha"`
		Message string `json:"message"`
	} `json:"commit_pipeline"`
	PullRequest *struct {
		FromFork bool   `json:"from_fork"`
		Title    string `json:"title"`
	} `json:"pull_request"`
	Deployment *struct {
		Target string `json:"target"`
	} `json:"deployment"`
}

// files returns the incoming configuration under either name.
func (r *request) files() []file {
	if len(r.Configuration) > 0 {
		return r.Configuration
	}
	return r.Configs
}

// droneEvents maps Woodpecker's events onto Drone's, so one secret policy
// (X-Drone-Events, the central policy, registry entries) serves both
// servers. Every pull request event is a pull request: they run the pull
// request's code.
var droneEvents = map[string]string{
	"push":                  drone.EventPush,
	"pull_request":          drone.EventPullRequest,
	"pull_request_closed":   drone.EventPullRequest,
	"pull_request_metadata": drone.EventPullRequest,
	"tag":                   drone.EventTag,
	"release":               drone.EventTag,
	"deployment":            drone.EventPromote,
	"cron":                  "cron",
	"manual":                "custom",
}

// slug is the repository's owner/name.
func (r repo) slug() string {
	if r.FullName != "" {
		return r.FullName
	}
	return r.Owner + "/" + r.Name
}

// trusted reads Woodpecker's trusted flag: a boolean before v3, an object
// {network, volumes, security} since; only "security" counts as trusted.
func (r repo) trusted() bool {
	var b bool
	if json.Unmarshal(r.Trusted, &b) == nil {
		return b
	}
	var t struct {
		Security bool `json:"security"`
	}
	return json.Unmarshal(r.Trusted, &t) == nil && t.Security
}

func (p pipeline) commit() string {
	var sha string
	if json.Unmarshal(p.Commit, &sha) == nil && sha != "" {
		return sha
	}
	if p.CommitPipeline != nil {
		return p.CommitPipeline.SHA
	}
	return ""
}

func (p pipeline) fromFork() bool {
	return p.FromFork || (p.PullRequest != nil && p.PullRequest.FromFork)
}

// subject is the Drone {repo, build} pair Hangar's Drone endpoints take.
type subject struct {
	Repo  drone.Repo  `json:"repo"`
	Build drone.Build `json:"build"`
}

// toDrone maps a Woodpecker request onto the Drone request of the same
// build. This is the one mapper between the two wire formats.
//
// Woodpecker's pipeline.branch is the target branch, also for a pull
// request, whose source branch is the left side of refspec
// ("feature:main"). A pull request from a fork gets a source_repo other
// than the repository, which Hangar's scoping refuses unless allowed;
// Woodpecker says "from_fork" (omitted when false).
func (r *request) toDrone() subject {
	slug := r.Repo.slug()
	ns, name := "", slug
	if i := strings.LastIndexByte(slug, '/'); i >= 0 {
		ns, name = slug[:i], slug[i+1:]
	}
	p := r.Pipeline
	event, ok := droneEvents[p.Event]
	if !ok {
		event = p.Event
	}
	source := p.Branch
	if src, _, ok := strings.Cut(p.Refspec, ":"); ok && event == drone.EventPullRequest && src != "" {
		source = src
	}
	fork := slug
	if event == drone.EventPullRequest && p.fromFork() {
		fork = "" // unknown head repository: a fork to Hangar's scoping
	}
	message := p.Message
	if message == "" && p.CommitPipeline != nil {
		message = p.CommitPipeline.Message
	}
	deploy := p.DeployTo
	if deploy == "" && p.Deployment != nil {
		deploy = p.Deployment.Target
	}
	return subject{
		Repo: drone.Repo{
			Namespace: ns, Name: name, Slug: slug,
			Branch: r.Repo.DefaultBranch, Private: r.Repo.Private, Visibility: r.Repo.Visibility,
			HTTPURL: r.Repo.CloneURL, Link: r.Repo.ForgeURL, Config: r.Repo.ConfigFile,
			Trusted: r.Repo.trusted(), Active: true,
		},
		Build: drone.Build{
			Number: p.Number, Event: event, Ref: p.Ref, After: p.commit(),
			Target: p.Branch, Source: source, Fork: fork,
			Message: message, Title: p.Title, Author: p.Author, Sender: p.Sender,
			Deploy: deploy, Cron: p.Cron, Status: drone.StatusPending,
		},
	}
}
