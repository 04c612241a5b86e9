package scmtest

import (
	"net/http"
	"sort"
	"strings"
)

// paths returns the files set at slug@ref, sorted.
func (s *Server) paths(slug, ref string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	prefix := slug + "@" + ref + ":"
	var out []string
	for k := range s.files {
		if p, ok := strings.CutPrefix(k, prefix); ok {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// githubTree answers GET /repos/{o}/{r}/git/trees/{sha}?recursive=1 with
// every file as a blob entry (directories are left out) and truncated
// false.
func (s *Server) githubTree(w http.ResponseWriter, r *http.Request) {
	files := s.paths(r.PathValue("owner")+"/"+r.PathValue("repo"), r.PathValue("sha"))
	if len(files) == 0 {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
		return
	}
	entries := []map[string]any{}
	for _, f := range files {
		entries = append(entries, map[string]any{"path": f, "type": "blob", "mode": "100644", "sha": "0000000000000000000000000000000000000000"})
	}
	writeJSON(w, http.StatusOK, map[string]any{"sha": r.PathValue("sha"), "tree": entries, "truncated": false})
}

// gitlabTree answers GET /projects/:id/repository/tree?ref&recursive=true,
// paged with GitLab's X-Next-Page headers.
func (s *Server) gitlabTree(w http.ResponseWriter, r *http.Request, slug string) {
	files := s.paths(slug, r.URL.Query().Get("ref"))
	if len(files) == 0 {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Tree Not Found"})
		return
	}
	lo, hi := gitlabPage(w, r, len(files))
	out := []map[string]any{}
	for _, f := range files[lo:hi] {
		out = append(out, map[string]any{"id": "0", "name": f[strings.LastIndexByte(f, '/')+1:], "type": "blob", "path": f, "mode": "100644"})
	}
	writeJSON(w, http.StatusOK, out)
}
