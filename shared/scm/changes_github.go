package scm

import (
	"context"
	"fmt"

	"github.com/google/go-github/v84/github"
)

// Changes implements Changer through GitHub's compare and pull request
// files APIs.
func (g *GitHub) Changes(ctx context.Context, req ChangeRequest) (*ChangeSet, error) {
	return changesFor(ctx, githubDiffer{g.client}, req)
}

type githubDiffer struct{ c *github.Client }

// compare asks GET /repos/{o}/{r}/compare/{base}...{head}. The file list
// comes whole with the first page and is capped at GitHubCompareCap.
func (g githubDiffer) compare(ctx context.Context, slug, base, head string) (diff, error) {
	owner, repo, err := splitSlug(slug)
	if err != nil {
		return diff{}, err
	}
	c, _, err := g.c.Repositories.CompareCommits(ctx, owner, repo, base, head, &github.ListOptions{PerPage: 1})
	if err != nil {
		return diff{}, fmt.Errorf("github: compare %s %s...%s: %w", slug, short(base), short(head), err)
	}
	d := diff{diverged: c.GetBehindBy() > 0}
	for _, f := range c.Files {
		d.files = append(d.files, f.GetFilename())
		if f.GetPreviousFilename() != "" {
			d.files = append(d.files, f.GetPreviousFilename())
		}
	}
	if len(c.Files) >= GitHubCompareCap {
		d.truncated = fmt.Sprintf("GitHub's compare lists at most %d files, so the list may be cut", GitHubCompareCap)
	}
	return d, nil
}

// pullFiles pages through GET /repos/{o}/{r}/pulls/{n}/files.
func (g githubDiffer) pullFiles(ctx context.Context, slug string, number int64) (diff, error) {
	owner, repo, err := splitSlug(slug)
	if err != nil {
		return diff{}, err
	}
	var d diff
	n := 0
	opt := &github.ListOptions{PerPage: 100}
	for {
		files, resp, err := g.c.PullRequests.ListFiles(ctx, owner, repo, int(number), opt)
		if err != nil {
			return diff{}, fmt.Errorf("github: files of %s#%d: %w", slug, number, err)
		}
		for _, f := range files {
			n++
			d.files = append(d.files, f.GetFilename())
			if f.GetPreviousFilename() != "" {
				d.files = append(d.files, f.GetPreviousFilename())
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	if n >= GitHubPullFilesCap {
		d.truncated = fmt.Sprintf("GitHub lists at most %d files of a pull request, so the list may be cut", GitHubPullFilesCap)
	}
	return d, nil
}

// commitFiles pages through GET /repos/{o}/{r}/commits/{sha}, whose file
// list is paged and capped like a pull request's.
func (g githubDiffer) commitFiles(ctx context.Context, slug, sha string) (diff, bool, error) {
	owner, repo, err := splitSlug(slug)
	if err != nil {
		return diff{}, false, err
	}
	var d diff
	root, n := false, 0
	opt := &github.ListOptions{PerPage: 300}
	for {
		c, resp, err := g.c.Repositories.GetCommit(ctx, owner, repo, sha, opt)
		if err != nil {
			return diff{}, false, fmt.Errorf("github: commit %s@%s: %w", slug, short(sha), err)
		}
		root = len(c.Parents) == 0
		for _, f := range c.Files {
			n++
			d.files = append(d.files, f.GetFilename())
			if f.GetPreviousFilename() != "" {
				d.files = append(d.files, f.GetPreviousFilename())
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	if n >= GitHubPullFilesCap {
		d.truncated = fmt.Sprintf("GitHub lists at most %d files of a commit, so the list may be cut", GitHubPullFilesCap)
	}
	return d, root, nil
}
