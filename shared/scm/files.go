package scm

import (
	"context"
	"fmt"

	gitlab "gitlab.com/gitlab-org/api/client-go"
)

// Lister lists every file of a repository at a commit.
type Lister interface {
	// Files returns the paths of every file (blob) at ref. truncated
	// reports that the provider cut the listing short.
	Files(ctx context.Context, slug, ref string) (files []string, truncated bool, err error)
}

// Files implements Lister with GET /repos/{o}/{r}/git/trees/{ref}?recursive=1,
// whose answer GitHub marks truncated past its size limit.
func (g *GitHub) Files(ctx context.Context, slug, ref string) ([]string, bool, error) {
	owner, repo, err := splitSlug(slug)
	if err != nil {
		return nil, false, err
	}
	t, _, err := g.client.Git.GetTree(ctx, owner, repo, ref, true)
	if err != nil {
		return nil, false, fmt.Errorf("github: tree of %s@%s: %w", slug, short(ref), err)
	}
	var out []string
	for _, e := range t.Entries {
		if e.GetType() == "blob" {
			out = append(out, e.GetPath())
		}
	}
	return out, t.GetTruncated(), nil
}

// Files implements Lister with GET /projects/:id/repository/tree?recursive=true,
// page by page.
func (g *GitLab) Files(ctx context.Context, slug, ref string) ([]string, bool, error) {
	if _, _, err := splitSlug(slug); err != nil {
		return nil, false, err
	}
	var out []string
	opt := &gitlab.ListTreeOptions{Ref: &ref, Recursive: gitlab.Ptr(true), ListOptions: gitlab.ListOptions{PerPage: 100}}
	for {
		nodes, resp, err := g.client.Repositories.ListTree(slug, opt, gitlab.WithContext(ctx))
		if err != nil {
			return nil, false, fmt.Errorf("gitlab: tree of %s@%s: %w", slug, short(ref), err)
		}
		for _, n := range nodes {
			if n.Type == "blob" {
				out = append(out, n.Path)
			}
		}
		if resp.NextPage == 0 {
			return out, false, nil
		}
		opt.Page = resp.NextPage
	}
}
