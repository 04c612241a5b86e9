package scm_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hangar-ci/hangar/shared/scm"
	"github.com/hangar-ci/hangar/shared/scm/scmtest"
)

const (
	slug  = "octo/mono"
	zeros = "0000000000000000000000000000000000000000"
)

// history builds the repository the table below asks about:
//
//	main:    m1 (README.md) ← m2 (services/web/a.ts)
//	feature: m2 ← f1 (services/api/x.go) ← f2 (lib/util.go) ← f3 (rename services/api/old.go → y.go)
//	old tip of a force push: m2 ← o1 (docs/dropped.md)
//	big:     m2 ← b1 (301 files under gen/)
//	pull/merge request 7: 250 files under pr/
//	r1: a root commit of 350 files under init/ (another repository's first push)
func history(h *scmtest.History) {
	h.Commit(slug, "m1", "", scmtest.Change{Path: "README.md"})
	h.Commit(slug, "m2", "m1", scmtest.Change{Path: "services/web/a.ts"})
	h.Branch(slug, "main", "m2")
	h.Commit(slug, "f1", "m2", scmtest.Change{Path: "services/api/x.go"})
	h.Commit(slug, "f2", "f1", scmtest.Change{Path: "lib/util.go"})
	h.Commit(slug, "f3", "f2", scmtest.Change{Path: "services/api/y.go", OldPath: "services/api/old.go"})
	h.Branch(slug, "feature", "f3")
	h.Commit(slug, "o1", "m2", scmtest.Change{Path: "docs/dropped.md", Deleted: true})
	h.Commit(slug, "b1", "m2", scmtest.Files("gen", 301)...)
	h.Pull(slug, 7, scmtest.Files("pr", 250)...)
	h.Commit(slug, "r1", "", scmtest.Files("init", 350)...)
}

type provider struct {
	name string
	srv  *scmtest.Server
	c    scm.Changer
}

func providers(t *testing.T) []provider {
	gh, gl := scmtest.NewGitHub(t), scmtest.NewGitLab(t)
	history(gh.History)
	history(gl.History)
	g, err := scm.NewGitHub(gh.URL+"/api/v3/", "token", http.DefaultClient)
	if err != nil {
		t.Fatal(err)
	}
	l, err := scm.NewGitLab(gl.URL+"/api/v4", "token", http.DefaultClient)
	if err != nil {
		t.Fatal(err)
	}
	return []provider{{"github", gh, g}, {"gitlab", gl, l}}
}

func names(c []scmtest.Change) []string {
	var out []string
	for _, f := range c {
		out = append(out, f.Path)
	}
	slices.Sort(out)
	return out
}

// TestChanges computes each event's changed files on both providers
// through their documented APIs.
func TestChanges(t *testing.T) {
	t.Parallel()
	push := func(before, after, target string) scm.ChangeRequest {
		return scm.ChangeRequest{Slug: slug, Event: "push", Before: before, After: after, Ref: "refs/heads/" + target, Target: target, DefaultBranch: "main"}
	}
	tests := []struct {
		name       string
		req        scm.ChangeRequest
		files      []string
		incomplete map[string]bool // per provider
		noDiff     bool
		note       string
	}{
		{name: "push", req: push("m1", "m2", "main"), files: []string{"services/web/a.ts"}, note: "compared m1...m2"},
		{name: "new branch counts every commit since the merge base", req: push(zeros, "f3", "feature"),
			files: []string{"lib/util.go", "services/api/old.go", "services/api/x.go", "services/api/y.go"}, note: "new branch"},
		{name: "new branch with an empty before", req: push("", "f3", "feature"),
			files: []string{"lib/util.go", "services/api/old.go", "services/api/x.go", "services/api/y.go"}, note: "new branch"},
		{name: "force push counts the replaced commits too", req: push("o1", "f3", "feature"),
			files: []string{"docs/dropped.md", "lib/util.go", "services/api/old.go", "services/api/x.go", "services/api/y.go"}, note: "force push"},
		{name: "first push of the default branch fails open", req: push(zeros, "m2", "main"),
			incomplete: map[string]bool{"github": true, "gitlab": true}, note: "nothing to compare with"},
		{name: "first push of a root commit lists its files, every page", req: push(zeros, "r1", "main"),
			files: names(scmtest.Files("init", 350)), note: "first commit of the repository"},
		{name: "compare at GitHub's 300-file cap", req: push("m2", "b1", "big"),
			files: names(scmtest.Files("gen", 301)), incomplete: map[string]bool{"github": true}},
		{name: "tag has no diff", req: scm.ChangeRequest{Slug: slug, Event: "tag", After: "m2", Ref: "refs/tags/v1"}, noDiff: true, note: "tag builds have no diff"},
		{name: "cron has no diff", req: scm.ChangeRequest{Slug: slug, Event: "cron", After: "m2", Ref: "refs/heads/main"}, noDiff: true},
	}
	for _, p := range providers(t) {
		for _, tc := range tests {
			t.Run(p.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				cs, err := p.c.Changes(context.Background(), tc.req)
				if err != nil {
					t.Fatal(err)
				}
				want := tc.files
				if p.name == "github" && tc.incomplete["github"] && len(want) > 300 {
					want = want[:300] // the cap cuts the list
				}
				if d := cmp.Diff(want, cs.Files); d != "" && !(tc.incomplete[p.name] && len(tc.files) == 0) {
					t.Errorf("files (-want +got):\n%s", d)
				}
				if cs.Incomplete != tc.incomplete[p.name] || cs.NoDiff != tc.noDiff || !strings.Contains(cs.Note, tc.note) {
					t.Errorf("got incomplete %v, no diff %v, note %q; want %v, %v, a note with %q", cs.Incomplete, cs.NoDiff, cs.Note, tc.incomplete[p.name], tc.noDiff, tc.note)
				}
			})
		}
	}
}

// TestChangesPullRequest pages through the request's own files.
func TestChangesPullRequest(t *testing.T) {
	t.Parallel()
	for _, p := range providers(t) {
		ref := "refs/pull/7/head"
		if p.name == "gitlab" {
			ref = "refs/merge-requests/7/head"
		}
		cs, err := p.c.Changes(context.Background(), scm.ChangeRequest{Slug: slug, Event: "pull_request", Before: "m1", After: "f3", Ref: ref, Target: "main"})
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(names(scmtest.Files("pr", 250)), cs.Files); d != "" || cs.Incomplete {
			t.Errorf("%s: incomplete %v, files (-want +got):\n%s", p.name, cs.Incomplete, d)
		}
		kind := "pull-files"
		if p.name == "gitlab" {
			kind = "mr-diffs"
		}
		if got := p.srv.History.Hits(kind); got != 3 {
			t.Errorf("%s: %d pages asked, want 3 (250 files, 100 a page)", p.name, got)
		}
	}
}

// TestChangesGitLabTimeout fails open when GitLab's compare timed out, and
// an unknown commit is an error, not an empty list.
func TestChangesGitLabTimeout(t *testing.T) {
	t.Parallel()
	ps := providers(t)
	ps[1].srv.History.CompareTimeout(slug)
	cs, err := ps[1].c.Changes(context.Background(), scm.ChangeRequest{Slug: slug, Event: "push", Before: "m1", After: "m2", Target: "main"})
	if err != nil || !cs.Incomplete || !strings.Contains(cs.Note, "timed out") {
		t.Errorf("got %+v, %v; want an incomplete list that says the compare timed out", cs, err)
	}
	for _, p := range ps {
		if _, err := p.c.Changes(context.Background(), scm.ChangeRequest{Slug: slug, Event: "push", Before: "nope", After: "m2", Target: "main"}); err == nil {
			t.Errorf("%s: unknown commit: got no error", p.name)
		}
	}
}

type countChanger struct{ n atomic.Int64 }

func (c *countChanger) Changes(context.Context, scm.ChangeRequest) (*scm.ChangeSet, error) {
	c.n.Add(1)
	return &scm.ChangeSet{Files: []string{"a"}}, nil
}

// TestChangeCache asks the SCM once per commit pair.
func TestChangeCache(t *testing.T) {
	t.Parallel()
	next := &countChanger{}
	c := scm.NewChangeCache(next, 10)
	a := scm.ChangeRequest{Slug: slug, Event: "push", Before: "m1", After: "m2"}
	b := a
	b.After = "f3"
	for _, r := range []scm.ChangeRequest{a, a, b, a, b} {
		if _, err := c.Changes(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	if got := next.n.Load(); got != 2 {
		t.Errorf("SCM asked %d times, want 2 (one per commit pair)", got)
	}
}
