package core

import (
	"context"
	"errors"
	"fmt"

	"github.com/hangar-ci/hangar/services/core/model"
)

// SCM is what the core server needs of GitHub or GitLab for one repository
// kind: the pipeline file at a commit, a commit's details and commit
// statuses. Errors for missing files wrap scm.ErrNotFound.
type SCM interface {
	ReadFile(ctx context.Context, slug, ref, path string) ([]byte, error)
	Commit(ctx context.Context, slug, sha string) (Commit, error)
	SetStatus(ctx context.Context, slug, sha string, s Status) error
}

// Commit is what fills an empty hook message (§4.2 step 4) and what a
// manual build runs.
type Commit struct {
	SHA         string
	Link        string // the commit's web page
	Message     string
	AuthorLogin string
	AuthorName  string
	AuthorEmail string
	Avatar      string
}

// Status is one commit status, in go-scm's neutral states (pending,
// running, success, failure, error, canceled, unknown); each SCM maps them
// to its own.
type Status struct {
	State  string
	Label  string // context
	Desc   string
	Target string
}

// errNoSCM answers for a repository whose SCM is not configured.
var errNoSCM = errors.New("no API access configured for this SCM")

// noSCM stands in for an unconfigured SCM: files cannot be read, commits
// are unknown, statuses are dropped (with the error, which is only logged).
type noSCM struct{ kind string }

func (n noSCM) ReadFile(context.Context, string, string, string) ([]byte, error) {
	return nil, fmt.Errorf("%s: %w", n.kind, errNoSCM)
}

func (n noSCM) Commit(context.Context, string, string) (Commit, error) {
	return Commit{}, fmt.Errorf("%s: %w", n.kind, errNoSCM)
}

func (n noSCM) SetStatus(context.Context, string, string, Status) error {
	return fmt.Errorf("%s: %w", n.kind, errNoSCM)
}

// statusFor returns the commit status for a build as Drone's status
// service builds it (§4.2 step 20).
func statusFor(name, link string, repo *model.Repo, b *model.Build) Status {
	label := name
	switch b.Event {
	case model.EventPush:
		label += "/push"
	case model.EventPullRequest:
		label += "/pr"
	case model.EventTag:
		label += "/tag"
	}
	s := Status{Label: label, Target: fmt.Sprintf("%s/%s/%d", link, repo.Slug, b.Number)}
	switch b.Status {
	case model.StatusBlocked:
		s.State, s.Desc = "pending", "Build is pending approval"
	case model.StatusPending:
		s.State, s.Desc = "pending", "Build is pending"
	case model.StatusRunning:
		s.State, s.Desc = "pending", "Build is running"
	case model.StatusPassing:
		s.State, s.Desc = "success", "Build is passing"
	case model.StatusFailing:
		s.State, s.Desc = "failure", "Build is failing"
	case model.StatusError:
		s.State, s.Desc = "error", "Build encountered an error"
	case model.StatusKilled:
		s.State, s.Desc = "canceled", "Build was killed"
	case model.StatusDeclined:
		s.State, s.Desc = "canceled", "Build was declined"
	default:
		s.State, s.Desc = "unknown", "Build is in an unknown state"
	}
	return s
}
