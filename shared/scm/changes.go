package scm

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/hangar-ci/hangar/shared/lru"
)

// ChangeRequest names the build whose changed files are wanted: the
// fields of a Drone build that decide how they are computed.
type ChangeRequest struct {
	Slug   string // namespace/name
	Event  string // push, pull_request, tag, cron, promote, rollback, custom
	Before string // the push's old tip ("" or zeros for a new branch)
	After  string // the commit built
	Ref    string // refs/pull/N/head, refs/merge-requests/N/head, refs/heads/x
	// Target is the pushed branch, or a pull request's base branch.
	Target string
	// DefaultBranch is the repository's default branch, the base a new
	// branch is compared with.
	DefaultBranch string
}

// ChangeSet is what a build changed.
type ChangeSet struct {
	// Files are repository-relative paths, sorted and unique; a renamed
	// file is listed under its old and its new path, a deleted file under
	// its path.
	Files []string
	// Incomplete means Files is known to miss some files (GitHub's
	// 300-file compare cap, a GitLab compare timeout, no base to compare
	// with): path filters must fail open and run everything.
	Incomplete bool
	// NoDiff means the event has nothing to compare (tag, cron, promote,
	// rollback, custom): Files is empty and path conditions answer with
	// their on_empty policy.
	NoDiff bool
	// Note says how the list was made or why it is incomplete, for the
	// build page.
	Note string
}

// Changer lists the files a build changed.
type Changer interface {
	Changes(ctx context.Context, req ChangeRequest) (*ChangeSet, error)
}

// GitHubCompareCap is the most files GitHub's compare API lists; a
// compare answering this many is taken as truncated.
const GitHubCompareCap = 300

// GitHubPullFilesCap is the most files GitHub's pull request files and
// single commit APIs list, across all pages.
const GitHubPullFilesCap = 3000

// diff is one provider answer: the files and, when the provider knows,
// whether the base has commits the head does not (a force push).
type diff struct {
	files     []string
	truncated string // why the list is cut, empty when complete
	diverged  bool   // the base has commits the head lacks (or unknown)
}

// differ is what a provider must answer for changesFor.
type differ interface {
	// compare lists the files changed from the merge base of base and
	// head to head (three-dot semantics).
	compare(ctx context.Context, slug, base, head string) (diff, error)
	// pullFiles lists a pull or merge request's own files.
	pullFiles(ctx context.Context, slug string, number int64) (diff, error)
	// commitFiles lists one commit's files and reports whether it is a
	// root commit (no parent), whose files are then the whole change.
	commitFiles(ctx context.Context, slug, sha string) (d diff, root bool, err error)
}

var pullRef = regexp.MustCompile(`^refs/(?:pull|merge-requests)/([0-9]+)/(?:head|merge)$`)

// changesFor computes a build's changed files per event
// (runners-ha-research.md §4.4):
//   - push: compare before...after; when before has commits after lacks (a
//     force push), the files of those replaced commits count too;
//   - push creating a branch (before zero): compare with the merge base of
//     the default branch, every commit of the new branch counted, never
//     only the tip; the first push of the default branch itself is a
//     single commit's files when that commit is the repository's first,
//     else unknown (everything runs);
//   - pull request: the request's own files (paged), not a diff against
//     its base's tip at hook time;
//   - tag, cron, promote, rollback, custom: no diff.
func changesFor(ctx context.Context, d differ, req ChangeRequest) (*ChangeSet, error) {
	switch req.Event {
	case "push":
		return pushChanges(ctx, d, req)
	case "pull_request":
		if m := pullRef.FindStringSubmatch(req.Ref); m != nil {
			n, _ := strconv.ParseInt(m[1], 10, 64)
			df, err := d.pullFiles(ctx, req.Slug, n)
			if err != nil {
				return nil, err
			}
			return setFrom(df, fmt.Sprintf("files of pull request %d", n)), nil
		}
		if req.Target == "" {
			return &ChangeSet{Incomplete: true, Note: "pull request without a number or base branch: nothing to compare with"}, nil
		}
		df, err := d.compare(ctx, req.Slug, req.Target, req.After)
		if err != nil {
			return nil, err
		}
		return setFrom(df, "compared with the merge base of "+req.Target), nil
	}
	return &ChangeSet{NoDiff: true, Note: req.Event + " builds have no diff"}, nil
}

func pushChanges(ctx context.Context, d differ, req ChangeRequest) (*ChangeSet, error) {
	if isZero(req.Before) {
		if req.DefaultBranch == "" || req.DefaultBranch == req.Target {
			// No branch to compare with: only a root commit's own files
			// are the whole change; any longer history is unknown.
			df, root, err := d.commitFiles(ctx, req.Slug, req.After)
			if err != nil {
				return nil, err
			}
			if !root {
				return &ChangeSet{Incomplete: true, Note: "first push of the default branch: nothing to compare with"}, nil
			}
			return setFrom(df, "first commit of the repository"), nil
		}
		df, err := d.compare(ctx, req.Slug, req.DefaultBranch, req.After)
		if err != nil {
			return nil, err
		}
		return setFrom(df, "new branch: every commit since the merge base with "+req.DefaultBranch), nil
	}
	df, err := d.compare(ctx, req.Slug, req.Before, req.After)
	if err != nil {
		return nil, err
	}
	note := "compared " + short(req.Before) + "..." + short(req.After)
	if df.diverged {
		// The old tip has commits the new one lacks: the files they
		// touched changed back, so they count as changed too.
		back, err := d.compare(ctx, req.Slug, req.After, req.Before)
		if err != nil {
			return nil, err
		}
		if len(back.files) > 0 || back.truncated != "" {
			note = "force push: " + note + ", with the files of the replaced commits"
			df.files = append(df.files, back.files...)
			if df.truncated == "" {
				df.truncated = back.truncated
			}
		}
	}
	return setFrom(df, note), nil
}

func setFrom(d diff, note string) *ChangeSet {
	files := slices.Clone(d.files)
	slices.Sort(files)
	files = slices.Compact(files)
	if len(files) > 0 && files[0] == "" {
		files = files[1:]
	}
	cs := &ChangeSet{Files: files, Note: note}
	if d.truncated != "" {
		cs.Incomplete, cs.Note = true, note+": "+d.truncated
	}
	return cs
}

func isZero(sha string) bool { return strings.Trim(sha, "0") == "" }

func short(sha string) string {
	if len(sha) > 8 {
		return sha[:8]
	}
	return sha
}

// changeCache remembers change sets per request: a commit pair (or pull
// request head) never changes its files, so entries only age out.
type changeCache struct {
	next  Changer
	cache *lru.Cache[ChangeRequest, *ChangeSet]
}

// changeCacheBytes bounds a change cache's memory beside its entry count:
// a pull request may list thousands of paths.
const changeCacheBytes = 64 << 20

// NewChangeCache returns next with its answers kept for up to entries
// requests (and 64 MiB of paths). Errors are not kept. Callers share
// the cached sets and must not modify them.
func NewChangeCache(next Changer, entries int) Changer {
	return &changeCache{next: next, cache: lru.New[ChangeRequest, *ChangeSet](entries, changeCacheBytes)}
}

func (c *changeCache) Changes(ctx context.Context, req ChangeRequest) (*ChangeSet, error) {
	if cs, ok := c.cache.Get(req); ok {
		return cs, nil
	}
	cs, err := c.next.Changes(ctx, req)
	if err != nil {
		return nil, err
	}
	size := int64(len(cs.Note)) + 64
	for _, f := range cs.Files {
		size += int64(len(f)) + 16
	}
	c.cache.Add(req, cs, size)
	return cs, nil
}
