package scm

import (
	"context"
	"fmt"

	gitlab "gitlab.com/gitlab-org/api/client-go"
)

// Changes implements Changer through GitLab's repository compare and merge
// request diffs APIs.
func (g *GitLab) Changes(ctx context.Context, req ChangeRequest) (*ChangeSet, error) {
	return changesFor(ctx, gitlabDiffer{g.client}, req)
}

type gitlabDiffer struct{ c *gitlab.Client }

// compare asks GET /projects/:id/repository/compare?from&to (straight
// false: from the merge base). GitLab does not say whether from has
// commits to lacks, so diverged is always set and the caller compares
// back. A compare that timed out lists only part of the files.
func (g gitlabDiffer) compare(ctx context.Context, slug, base, head string) (diff, error) {
	if _, _, err := splitSlug(slug); err != nil {
		return diff{}, err
	}
	c, _, err := g.c.Repositories.Compare(slug, &gitlab.CompareOptions{From: &base, To: &head, Straight: gitlab.Ptr(false)}, gitlab.WithContext(ctx))
	if err != nil {
		return diff{}, fmt.Errorf("gitlab: compare %s %s...%s: %w", slug, short(base), short(head), err)
	}
	d := diff{diverged: true}
	for _, f := range c.Diffs {
		d.files = append(d.files, f.NewPath, f.OldPath)
	}
	if c.CompareTimeout {
		d.truncated = "GitLab's compare timed out, so the list may be cut"
	}
	return d, nil
}

// pullFiles pages through GET /projects/:id/merge_requests/:iid/diffs,
// old and new paths of every file.
func (g gitlabDiffer) pullFiles(ctx context.Context, slug string, iid int64) (diff, error) {
	if _, _, err := splitSlug(slug); err != nil {
		return diff{}, err
	}
	var d diff
	opt := &gitlab.ListMergeRequestDiffsOptions{ListOptions: gitlab.ListOptions{PerPage: 100}}
	for {
		diffs, resp, err := g.c.MergeRequests.ListMergeRequestDiffs(slug, iid, opt, gitlab.WithContext(ctx))
		if err != nil {
			return diff{}, fmt.Errorf("gitlab: diffs of %s!%d: %w", slug, iid, err)
		}
		for _, f := range diffs {
			d.files = append(d.files, f.NewPath, f.OldPath)
		}
		if resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	return d, nil
}

// commitFiles asks GET /projects/:id/repository/commits/:sha for the
// parents and pages through …/diff for the files.
func (g gitlabDiffer) commitFiles(ctx context.Context, slug, sha string) (diff, bool, error) {
	if _, _, err := splitSlug(slug); err != nil {
		return diff{}, false, err
	}
	c, _, err := g.c.Commits.GetCommit(slug, sha, nil, gitlab.WithContext(ctx))
	if err != nil {
		return diff{}, false, fmt.Errorf("gitlab: commit %s@%s: %w", slug, short(sha), err)
	}
	var d diff
	opt := &gitlab.GetCommitDiffOptions{ListOptions: gitlab.ListOptions{PerPage: 100}}
	for {
		diffs, resp, err := g.c.Commits.GetCommitDiff(slug, sha, opt, gitlab.WithContext(ctx))
		if err != nil {
			return diff{}, false, fmt.Errorf("gitlab: diff of %s@%s: %w", slug, short(sha), err)
		}
		for _, f := range diffs {
			d.files = append(d.files, f.NewPath, f.OldPath)
		}
		if resp.NextPage == 0 {
			return d, len(c.ParentIDs) == 0, nil
		}
		opt.Page = resp.NextPage
	}
}
