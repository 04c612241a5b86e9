package scm

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	gitlab "gitlab.com/gitlab-org/api/client-go"
)

// GitLab reads files through GitLab's repository files API.
type GitLab struct {
	client *gitlab.Client
}

// NewGitLab returns a GitLab client for the API at baseURL
// (https://gitlab.example.com/api/v4). Retries are limited: the callers
// have their own deadlines and a Drone build waits on them.
func NewGitLab(baseURL, token string, hc *http.Client) (*GitLab, error) {
	c, err := gitlab.NewClient(token, gitlab.WithBaseURL(baseURL), gitlab.WithHTTPClient(hc), gitlab.WithCustomRetryMax(1))
	if err != nil {
		return nil, fmt.Errorf("scm: GitLab URL %q: %w", baseURL, err)
	}
	return &GitLab{client: c}, nil
}

// Client returns the underlying client-go client, for callers that need
// more of GitLab's API than files.
func (g *GitLab) Client() *gitlab.Client { return g.client }

// ReadFile implements Client.
func (g *GitLab) ReadFile(ctx context.Context, slug, ref, path string) ([]byte, error) {
	if _, _, err := splitSlug(slug); err != nil {
		return nil, err
	}
	b, _, err := g.client.RepositoryFiles.GetRawFile(slug, path, &gitlab.GetRawFileOptions{Ref: gitlab.Ptr(ref)}, gitlab.WithContext(ctx))
	if err != nil {
		if errors.Is(err, gitlab.ErrNotFound) {
			return nil, fmt.Errorf("gitlab: %s@%s:%s: %w", slug, ref, path, ErrNotFound)
		}
		return nil, fmt.Errorf("gitlab: reading %s@%s:%s: %w", slug, ref, path, err)
	}
	return b, nil
}
