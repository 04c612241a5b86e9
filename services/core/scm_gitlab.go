package core

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	gitlab "gitlab.com/gitlab-org/api/client-go"

	"github.com/hangar-ci/hangar/shared/scm"
)

// gitlabSCM reads files through shared/scm and sets statuses and reads
// commits through the same client-go client.
type gitlabSCM struct {
	*scm.GitLab
	c *gitlab.Client
}

func newGitLabSCM(baseURL, token string, hc *http.Client) (SCM, error) {
	g, err := scm.NewGitLab(baseURL, token, hc)
	if err != nil {
		return nil, err
	}
	return &gitlabSCM{GitLab: g, c: g.Client()}, nil
}

func (g *gitlabSCM) Commit(ctx context.Context, slug, sha string) (Commit, error) {
	c, _, err := g.c.Commits.GetCommit(slug, sha, nil, gitlab.WithContext(ctx))
	if err != nil {
		return Commit{}, fmt.Errorf("gitlab: commit %s@%s: %w", slug, sha, gitlabNotFound(err))
	}
	return gitlabCommit(c), nil
}

// BranchHead returns the head commit of a branch.
func (g *gitlabSCM) BranchHead(ctx context.Context, slug, branch string) (Commit, error) {
	b, _, err := g.c.Branches.GetBranch(slug, branch, gitlab.WithContext(ctx))
	if err != nil {
		return Commit{}, fmt.Errorf("gitlab: branch %s@%s: %w", slug, branch, gitlabNotFound(err))
	}
	if b.Commit == nil {
		return Commit{}, fmt.Errorf("gitlab: branch %s@%s has no commit", slug, branch)
	}
	return gitlabCommit(b.Commit), nil
}

func gitlabCommit(c *gitlab.Commit) Commit {
	return Commit{SHA: c.ID, Link: c.WebURL, Message: c.Message, AuthorName: c.AuthorName, AuthorEmail: c.AuthorEmail}
}

// gitlabNotFound marks GitLab's 404 with scm.ErrNotFound.
func gitlabNotFound(err error) error {
	if errors.Is(err, gitlab.ErrNotFound) {
		return fmt.Errorf("%w: %v", scm.ErrNotFound, err)
	}
	return err
}

// gitlabStates maps neutral states as go-scm does.
var gitlabStates = map[string]gitlab.BuildStateValue{
	"pending": gitlab.Pending, "running": gitlab.Running, "success": gitlab.Success,
	"failure": gitlab.Failed, "error": gitlab.Failed, "canceled": gitlab.Canceled,
}

func (g *gitlabSCM) SetStatus(ctx context.Context, slug, sha string, s Status) error {
	state, ok := gitlabStates[s.State]
	if !ok {
		state = gitlab.Failed
	}
	_, _, err := g.c.Commits.SetCommitStatus(slug, sha, &gitlab.SetCommitStatusOptions{
		State: state, Name: &s.Label, Description: &s.Desc, TargetURL: &s.Target,
	}, gitlab.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("gitlab: status %s@%s: %w", slug, sha, err)
	}
	return nil
}
