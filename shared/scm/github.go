package scm

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/go-github/v84/github"
)

// GitHub reads files through GitHub's contents API.
type GitHub struct {
	client *github.Client
}

// NewGitHub returns a GitHub client. baseURL is empty for github.com or the
// API root of a GitHub Enterprise server (https://host/api/v3/).
func NewGitHub(baseURL, token string, hc *http.Client) (*GitHub, error) {
	c := github.NewClient(hc)
	if token != "" {
		c = c.WithAuthToken(token)
	}
	if baseURL != "" {
		var err error
		if c, err = c.WithEnterpriseURLs(baseURL, baseURL); err != nil {
			return nil, fmt.Errorf("scm: GitHub URL %q: %w", baseURL, err)
		}
	}
	return &GitHub{client: c}, nil
}

// Client returns the underlying go-github client, for callers that need
// more of GitHub's API than files.
func (g *GitHub) Client() *github.Client { return g.client }

// ReadFile implements Client.
func (g *GitHub) ReadFile(ctx context.Context, slug, ref, path string) ([]byte, error) {
	owner, repo, err := splitSlug(slug)
	if err != nil {
		return nil, err
	}
	file, _, _, err := g.client.Repositories.GetContents(ctx, owner, repo, path, &github.RepositoryContentGetOptions{Ref: ref})
	if err != nil {
		var e *github.ErrorResponse
		if errors.As(err, &e) && e.Response != nil && e.Response.StatusCode == http.StatusNotFound {
			return nil, fmt.Errorf("github: %s@%s:%s: %w", slug, ref, path, ErrNotFound)
		}
		return nil, fmt.Errorf("github: reading %s@%s:%s: %w", slug, ref, path, err)
	}
	if file == nil {
		return nil, fmt.Errorf("github: %s@%s:%s is a directory: %w", slug, ref, path, ErrNotFound)
	}
	content, err := file.GetContent()
	if err != nil {
		return nil, fmt.Errorf("github: decoding %s@%s:%s: %w", slug, ref, path, err)
	}
	return []byte(content), nil
}
