package scmtest

import (
	"net/http"
	"strconv"
)

// Parents returns a commit's parent ids as GitLab's parent_ids, or false
// for a commit History does not hold.
func (h *History) Parents(slug, sha string) ([]string, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c, ok := h.commits[slug+"@"+sha]
	if !ok {
		return nil, false
	}
	if c.parent == "" {
		return []string{}, true
	}
	return []string{c.parent}, true
}

func gitlabDiff(f Change) map[string]any {
	old := f.Path
	if f.OldPath != "" {
		old = f.OldPath
	}
	return map[string]any{"old_path": old, "new_path": f.Path, "a_mode": "100644", "b_mode": "100644", "diff": "",
		"new_file": false, "renamed_file": f.OldPath != "", "deleted_file": f.Deleted}
}

// ServeGitLab answers the GitLab change endpoints; it reports false for
// any other request so the caller can route it elsewhere. slug is the
// decoded project id and rest the escaped path after it.
func (h *History) ServeGitLab(w http.ResponseWriter, r *http.Request, slug string, rest []string) bool {
	if r.Method != http.MethodGet {
		return false
	}
	switch {
	case len(rest) == 2 && rest[0] == "repository" && rest[1] == "compare":
		h.hit("compare")
		q := r.URL.Query()
		commits, files, _, ok := h.compare(slug, q.Get("from"), q.Get("to"))
		if !ok {
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Ref Not Found"})
			return true
		}
		if q.Get("straight") == "true" {
			_, back, _, _ := h.compare(slug, q.Get("to"), q.Get("from"))
			files = append(files, back...)
		}
		h.mu.Lock()
		timeout := h.timeout[slug]
		h.mu.Unlock()
		cl := []map[string]any{}
		for _, c := range commits {
			cl = append(cl, map[string]any{"id": c})
		}
		dl := []map[string]any{}
		for _, f := range files {
			dl = append(dl, gitlabDiff(f))
		}
		writeJSON(w, http.StatusOK, map[string]any{"commits": cl, "diffs": dl, "compare_timeout": timeout,
			"compare_same_ref": q.Get("from") == q.Get("to")})
		return true
	case len(rest) == 4 && rest[0] == "repository" && rest[1] == "commits" && rest[3] == "diff":
		h.hit("commit-diff")
		h.mu.Lock()
		c, ok := h.commits[slug+"@"+rest[2]]
		h.mu.Unlock()
		if !ok {
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Commit Not Found"})
			return true
		}
		lo, hi := gitlabPage(w, r, len(c.files))
		out := []map[string]any{}
		for _, f := range c.files[lo:hi] {
			out = append(out, gitlabDiff(f))
		}
		writeJSON(w, http.StatusOK, out)
		return true
	case len(rest) == 3 && rest[0] == "merge_requests" && rest[2] == "diffs":
		h.hit("mr-diffs")
		h.mu.Lock()
		files, ok := h.pulls[slug+"#"+rest[1]]
		h.mu.Unlock()
		if !ok {
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Not found"})
			return true
		}
		lo, hi := gitlabPage(w, r, len(files))
		out := []map[string]any{}
		for _, f := range files[lo:hi] {
			out = append(out, gitlabDiff(f))
		}
		writeJSON(w, http.StatusOK, out)
		return true
	}
	return false
}

// gitlabPage picks the page r asks for out of n items (20 a page by
// default) and sets GitLab's X-Page, X-Per-Page, X-Total, X-Total-Pages and
// X-Next-Page headers.
func gitlabPage(w http.ResponseWriter, r *http.Request, n int) (lo, hi int) {
	lo, hi, p, per := page(r.URL.Query(), n, 20)
	pages := max((n+per-1)/per, 1)
	next := ""
	if p < pages {
		next = strconv.Itoa(p + 1)
	}
	w.Header().Set("X-Page", strconv.Itoa(p))
	w.Header().Set("X-Per-Page", strconv.Itoa(per))
	w.Header().Set("X-Total", strconv.Itoa(n))
	w.Header().Set("X-Total-Pages", strconv.Itoa(pages))
	w.Header().Set("X-Next-Page", next)
	return lo, hi
}
