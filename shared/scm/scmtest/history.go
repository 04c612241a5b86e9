package scmtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// Change is one file a commit or a pull request changed. OldPath is set
// for a rename; Deleted marks a removal.
type Change struct {
	Path, OldPath string
	Deleted       bool
}

// History is an in-memory commit graph per repository (one parent per
// commit), with branches and pull/merge requests, answering the change
// APIs as GitHub and GitLab document them:
//
//   - GitHub GET /repos/{o}/{r}/compare/{base}...{head}: files of the
//     commits from the merge base to head, capped at 300 files, listed with
//     the first page only, commits paged, status/ahead_by/behind_by;
//   - GitHub GET /repos/{o}/{r}/pulls/{n}/files: paged by page/per_page
//     (default 30, at most 100) with a Link header, at most 3000 files;
//   - GitLab GET /projects/:id/repository/compare?from&to&straight:
//     diffs with old_path/new_path and the rename/new/deleted flags,
//     compare_timeout;
//   - GitLab GET /projects/:id/merge_requests/:iid/diffs: paged (default
//     20, at most 100) with X-Page/X-Next-Page/X-Total headers.
//
// A compare's files are the union of its commits' files rather than a tree
// diff, which differs only for a change made and reverted in the range.
type History struct {
	mu       sync.Mutex
	commits  map[string]histCommit // slug@sha
	branches map[string]string     // slug@branch → sha
	pulls    map[string][]Change   // slug#n
	timeout  map[string]bool       // slug → GitLab compare times out
	hits     map[string]int        // request kind → count
}

type histCommit struct {
	parent string
	files  []Change
}

// NewHistory returns an empty history.
func NewHistory() *History {
	return &History{commits: map[string]histCommit{}, branches: map[string]string{}, pulls: map[string][]Change{},
		timeout: map[string]bool{}, hits: map[string]int{}}
}

// Commit adds commit sha of slug with its parent ("" for a root) and the
// files it changed.
func (h *History) Commit(slug, sha, parent string, files ...Change) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.commits[slug+"@"+sha] = histCommit{parent: parent, files: files}
}

// Branch points branch of slug at sha.
func (h *History) Branch(slug, branch, sha string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.branches[slug+"@"+branch] = sha
}

// Pull sets the files of pull (or merge) request n of slug.
func (h *History) Pull(slug string, n int, files ...Change) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.pulls[slug+"#"+strconv.Itoa(n)] = files
}

// CompareTimeout makes GitLab compares of slug report compare_timeout.
func (h *History) CompareTimeout(slug string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.timeout[slug] = true
}

// Hits returns how many requests of a kind ("compare", "pull-files",
// "mr-diffs") were answered.
func (h *History) Hits(kind string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.hits[kind]
}

// Files returns n files under dir, for tests of the caps.
func Files(dir string, n int) []Change {
	out := make([]Change, n)
	for i := range out {
		out[i] = Change{Path: fmt.Sprintf("%s/f%04d.go", dir, i)}
	}
	return out
}

func (h *History) resolve(slug, ref string) (string, bool) {
	if sha, ok := h.branches[slug+"@"+ref]; ok {
		return sha, true
	}
	_, ok := h.commits[slug+"@"+ref]
	return ref, ok
}

// ancestry lists sha and its ancestors, newest first.
func (h *History) ancestry(slug, sha string) []string {
	var out []string
	for sha != "" {
		c, ok := h.commits[slug+"@"+sha]
		if !ok {
			break
		}
		out = append(out, sha)
		sha = c.parent
	}
	return out
}

// compare returns the commits of head since the merge base (oldest
// first), their files, and how many commits base has beyond it.
func (h *History) compare(slug, base, head string) (commits []string, files []Change, behind int, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	b, ok1 := h.resolve(slug, base)
	hd, ok2 := h.resolve(slug, head)
	if !ok1 || !ok2 {
		return nil, nil, 0, false
	}
	inBase, inHead := map[string]bool{}, map[string]bool{}
	baseLine, headLine := h.ancestry(slug, b), h.ancestry(slug, hd)
	for _, s := range baseLine {
		inBase[s] = true
	}
	for _, s := range headLine {
		inHead[s] = true
	}
	for i := len(headLine) - 1; i >= 0; i-- {
		if !inBase[headLine[i]] {
			commits = append(commits, headLine[i])
			files = append(files, h.commits[slug+"@"+headLine[i]].files...)
		}
	}
	for _, s := range baseLine {
		if !inHead[s] {
			behind++
		}
	}
	return commits, files, behind, true
}

func (h *History) hit(kind string) {
	h.mu.Lock()
	h.hits[kind]++
	h.mu.Unlock()
}

// page cuts n items into pages as both APIs do, at most 100 a page.
func page(q url.Values, n, def int) (lo, hi, p, per int) {
	return pageMax(q, n, def, 100)
}

func pageMax(q url.Values, n, def, most int) (lo, hi, p, per int) {
	p, per = atoi(q.Get("page"), 1), atoi(q.Get("per_page"), def)
	per = min(max(per, 1), most)
	lo = min((p-1)*per, n)
	return lo, min(lo+per, n), p, per
}

func atoi(s string, def int) int {
	if n, err := strconv.Atoi(s); err == nil && n > 0 {
		return n
	}
	return def
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// RegisterGitHub adds the GitHub change endpoints under prefix (e.g.
// "/api/v3") to mux.
func (h *History) RegisterGitHub(mux *http.ServeMux, prefix string) {
	notFound := func(w http.ResponseWriter) {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
	}
	mux.HandleFunc("GET "+prefix+"/repos/{owner}/{repo}/compare/{basehead}", func(w http.ResponseWriter, r *http.Request) {
		h.hit("compare")
		slug := r.PathValue("owner") + "/" + r.PathValue("repo")
		base, head, ok := strings.Cut(r.PathValue("basehead"), "...")
		if !ok {
			notFound(w)
			return
		}
		commits, files, behind, ok := h.compare(slug, base, head)
		if !ok {
			notFound(w)
			return
		}
		status := "ahead"
		switch {
		case len(commits) == 0 && behind == 0:
			status = "identical"
		case len(commits) == 0:
			status = "behind"
		case behind > 0:
			status = "diverged"
		}
		out := map[string]any{"status": status, "ahead_by": len(commits), "behind_by": behind, "total_commits": len(commits)}
		q := r.URL.Query()
		lo, hi, p, _ := page(q, len(commits), 250)
		list := []map[string]any{}
		for _, c := range commits[lo:hi] {
			list = append(list, map[string]any{"sha": c})
		}
		out["commits"] = list
		if p == 1 {
			fl := []map[string]any{}
			for _, f := range files {
				if len(fl) == 300 {
					break
				}
				fl = append(fl, githubFile(f))
			}
			out["files"] = fl
		}
		writeJSON(w, http.StatusOK, out)
	})
	mux.HandleFunc("GET "+prefix+"/repos/{owner}/{repo}/pulls/{number}/files", func(w http.ResponseWriter, r *http.Request) {
		h.hit("pull-files")
		h.mu.Lock()
		files, ok := h.pulls[r.PathValue("owner")+"/"+r.PathValue("repo")+"#"+r.PathValue("number")]
		h.mu.Unlock()
		if !ok {
			notFound(w)
			return
		}
		files = files[:min(len(files), 3000)]
		lo, hi := githubPage(w, r, len(files), 30, 100)
		out := []map[string]any{}
		for _, f := range files[lo:hi] {
			out = append(out, githubFile(f))
		}
		writeJSON(w, http.StatusOK, out)
	})
}

// githubPage picks the page r asks for out of n items and sets GitHub's
// Link header (next, last, first, prev).
func githubPage(w http.ResponseWriter, r *http.Request, n, def, most int) (lo, hi int) {
	lo, hi, p, per := pageMax(r.URL.Query(), n, def, most)
	last := max((n+per-1)/per, 1)
	link := func(n int, rel string) string {
		u := *r.URL
		q := u.Query()
		q.Set("page", strconv.Itoa(n))
		q.Set("per_page", strconv.Itoa(per))
		u.RawQuery = q.Encode()
		return fmt.Sprintf(`<http://%s%s>; rel="%s"`, r.Host, u.String(), rel)
	}
	var links []string
	if p < last {
		links = append(links, link(p+1, "next"), link(last, "last"))
	}
	if p > 1 {
		links = append(links, link(1, "first"), link(p-1, "prev"))
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	return lo, hi
}

// GitHubCommit returns what GitHub's GET /repos/{o}/{r}/commits/{sha}
// says of a commit's history: "parents" and the page of "files" r asks
// for (300 a page, at most 3000 in all, Link header set), or false for a
// commit History does not hold.
func (h *History) GitHubCommit(w http.ResponseWriter, r *http.Request, slug, sha string) (map[string]any, bool) {
	h.mu.Lock()
	c, ok := h.commits[slug+"@"+sha]
	h.mu.Unlock()
	if !ok {
		return nil, false
	}
	h.hit("commit")
	parents := []map[string]any{}
	if c.parent != "" {
		parents = append(parents, map[string]any{"sha": c.parent})
	}
	files := c.files[:min(len(c.files), 3000)]
	lo, hi := githubPage(w, r, len(files), 300, 300)
	fl := []map[string]any{}
	for _, f := range files[lo:hi] {
		fl = append(fl, githubFile(f))
	}
	return map[string]any{"parents": parents, "files": fl}, true
}

func githubFile(f Change) map[string]any {
	m := map[string]any{"filename": f.Path, "status": "modified", "sha": "0000000000000000000000000000000000000000"}
	switch {
	case f.Deleted:
		m["status"] = "removed"
	case f.OldPath != "":
		m["status"], m["previous_filename"] = "renamed", f.OldPath
	}
	return m
}
