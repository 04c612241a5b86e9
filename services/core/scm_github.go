package core

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-github/v84/github"

	"github.com/hangar-ci/hangar/shared/scm"
)

// githubSCM reads files through shared/scm and sets statuses and reads
// commits through the same go-github client.
type githubSCM struct {
	*scm.GitHub
	c *github.Client
}

func newGitHubSCM(baseURL, token string, hc *http.Client) (SCM, error) {
	g, err := scm.NewGitHub(baseURL, token, hc)
	if err != nil {
		return nil, err
	}
	return &githubSCM{GitHub: g, c: g.Client()}, nil
}

func (g *githubSCM) Commit(ctx context.Context, slug, sha string) (Commit, error) {
	owner, name, _ := strings.Cut(slug, "/")
	c, res, err := g.c.Repositories.GetCommit(ctx, owner, name, sha, nil)
	if err != nil {
		return Commit{}, fmt.Errorf("github: commit %s@%s: %w", slug, sha, githubNotFound(res, err))
	}
	return githubCommit(c), nil
}

// BranchHead returns the head commit of a branch.
func (g *githubSCM) BranchHead(ctx context.Context, slug, branch string) (Commit, error) {
	owner, name, _ := strings.Cut(slug, "/")
	b, res, err := g.c.Repositories.GetBranch(ctx, owner, name, branch, 1)
	if err != nil {
		return Commit{}, fmt.Errorf("github: branch %s@%s: %w", slug, branch, githubNotFound(res, err))
	}
	return githubCommit(b.GetCommit()), nil
}

func githubCommit(c *github.RepositoryCommit) Commit {
	return Commit{
		SHA:         c.GetSHA(),
		Link:        c.GetHTMLURL(),
		Message:     c.GetCommit().GetMessage(),
		AuthorLogin: c.GetAuthor().GetLogin(),
		AuthorName:  c.GetCommit().GetAuthor().GetName(),
		AuthorEmail: c.GetCommit().GetAuthor().GetEmail(),
		Avatar:      c.GetAuthor().GetAvatarURL(),
	}
}

// githubNotFound marks GitHub's answers for an unknown branch (404) or
// commit (422 "No commit found") with scm.ErrNotFound.
func githubNotFound(res *github.Response, err error) error {
	var e *github.ErrorResponse
	if errors.As(err, &e) && e.Response != nil {
		res = &github.Response{Response: e.Response}
	}
	if res != nil && res.Response != nil && (res.StatusCode == http.StatusNotFound || res.StatusCode == http.StatusUnprocessableEntity) {
		return fmt.Errorf("%w: %v", scm.ErrNotFound, err)
	}
	return err
}

// githubStates maps neutral states as go-scm does: GitHub knows only
// pending, success, failure and error.
var githubStates = map[string]string{
	"pending": "pending", "running": "pending", "success": "success",
	"failure": "failure", "error": "error", "canceled": "error",
}

func (g *githubSCM) SetStatus(ctx context.Context, slug, sha string, s Status) error {
	owner, name, _ := strings.Cut(slug, "/")
	state, ok := githubStates[s.State]
	if !ok {
		state = "failure"
	}
	_, _, err := g.c.Repositories.CreateStatus(ctx, owner, name, sha, github.RepoStatus{
		State: &state, Context: &s.Label, Description: &s.Desc, TargetURL: &s.Target,
	})
	if err != nil {
		return fmt.Errorf("github: status %s@%s: %w", slug, sha, err)
	}
	return nil
}
