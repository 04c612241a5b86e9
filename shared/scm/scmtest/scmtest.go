// Package scmtest serves repository files the way GitHub's contents API and
// GitLab's repository files API document them, for tests of code that reads
// files through shared/scm. It stands in only for what cannot run here.
package scmtest

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// Server is a fake GitHub or GitLab API over an in-memory set of files.
type Server struct {
	*httptest.Server
	// History answers the compare, pull request files and merge request
	// diffs endpoints.
	History *History
	mu      sync.Mutex
	files   map[string][]byte // slug@ref:path
	fail    int               // status to answer every request with, 0 = none
	hits    atomic.Int64
}

// Set stores content at slug@ref:path; nil content removes the file.
func (s *Server) Set(slug, ref, p string, content []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := slug + "@" + ref + ":" + p
	if content == nil {
		delete(s.files, key)
		return
	}
	s.files[key] = content
}

// Fail makes every request answer status (0 restores normal answers).
func (s *Server) Fail(status int) {
	s.mu.Lock()
	s.fail = status
	s.mu.Unlock()
}

// Hits returns how many file requests the server has answered.
func (s *Server) Hits() int64 { return s.hits.Load() }

func (s *Server) lookup(slug, ref, p string) ([]byte, int) {
	s.hits.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != 0 {
		return nil, s.fail
	}
	b, ok := s.files[slug+"@"+ref+":"+p]
	if !ok {
		return nil, http.StatusNotFound
	}
	return b, http.StatusOK
}

func newServer(t testing.TB, h func(*Server) http.Handler) *Server {
	s := &Server{files: map[string][]byte{}, History: NewHistory()}
	s.Server = httptest.NewServer(h(s))
	t.Cleanup(s.Close)
	return s
}

// NewGitHub serves GET /api/v3/repos/{owner}/{repo}/contents/{path}?ref=…
// with GitHub's JSON file object (base64 content) or its 404 body, the
// recursive git tree of a ref, and History's endpoints. Point
// scm.NewGitHub at s.URL+"/api/v3/".
func NewGitHub(t testing.TB) *Server {
	return newServer(t, func(s *Server) http.Handler {
		mux := http.NewServeMux()
		mux.HandleFunc("GET /api/v3/repos/{owner}/{repo}/contents/{path...}", func(w http.ResponseWriter, r *http.Request) {
			slug := r.PathValue("owner") + "/" + r.PathValue("repo")
			p := r.PathValue("path")
			b, status := s.lookup(slug, r.URL.Query().Get("ref"), p)
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			if status != http.StatusOK {
				w.WriteHeader(status)
				json.NewEncoder(w).Encode(map[string]string{"message": http.StatusText(status), "documentation_url": "https://docs.github.com/rest/repos/contents#get-repository-content"})
				return
			}
			sum := sha1.Sum(append([]byte("blob "+strconv.Itoa(len(b))+"\x00"), b...))
			json.NewEncoder(w).Encode(map[string]any{
				"type": "file", "encoding": "base64", "size": len(b), "name": path.Base(p), "path": p,
				"content": base64.StdEncoding.EncodeToString(b), "sha": hex.EncodeToString(sum[:]),
			})
		})
		s.History.RegisterGitHub(mux, "/api/v3")
		mux.HandleFunc("GET /api/v3/repos/{owner}/{repo}/git/trees/{sha}", s.githubTree)
		mux.HandleFunc("GET /api/v3/repos/{owner}/{repo}/commits/{sha}", func(w http.ResponseWriter, r *http.Request) {
			fields, ok := s.History.GitHubCommit(w, r, r.PathValue("owner")+"/"+r.PathValue("repo"), r.PathValue("sha"))
			if !ok {
				writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"message": "No commit found for SHA: " + r.PathValue("sha")})
				return
			}
			fields["sha"] = r.PathValue("sha")
			writeJSON(w, http.StatusOK, fields)
		})
		return mux
	})
}

// NewGitLab serves GET /api/v4/projects/{id}/repository/files/{path}/raw?ref=…
// with the raw bytes or GitLab's 404 body, the recursive repository tree,
// and History's endpoints. Point scm.NewGitLab at s.URL+"/api/v4".
func NewGitLab(t testing.TB) *Server {
	return newServer(t, func(s *Server) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// The project id and file path are URL-encoded single segments.
			rest, ok := strings.CutPrefix(r.URL.EscapedPath(), "/api/v4/projects/")
			if parts := strings.Split(rest, "/"); ok && len(parts) > 1 {
				if slug, err := url.PathUnescape(parts[0]); err == nil {
					if s.History.ServeGitLab(w, r, slug, parts[1:]) {
						return
					}
					if r.Method == http.MethodGet && len(parts) == 3 && parts[1] == "repository" && parts[2] == "tree" {
						s.gitlabTree(w, r, slug)
						return
					}
					if r.Method == http.MethodGet && len(parts) == 4 && parts[1] == "repository" && parts[2] == "commits" {
						parents, ok := s.History.Parents(slug, parts[3])
						if !ok {
							writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Commit Not Found"})
							return
						}
						writeJSON(w, http.StatusOK, map[string]any{"id": parts[3], "parent_ids": parents})
						return
					}
				}
			}
			id, rest, ok2 := strings.Cut(rest, "/repository/files/")
			file, ok3 := strings.CutSuffix(rest, "/raw")
			if r.Method != http.MethodGet || !ok || !ok2 || !ok3 {
				http.NotFound(w, r)
				return
			}
			slug, err1 := url.PathUnescape(id)
			p, err2 := url.PathUnescape(file)
			if err1 != nil || err2 != nil {
				http.Error(w, `{"message":"400 Bad request"}`, http.StatusBadRequest)
				return
			}
			b, status := s.lookup(slug, r.URL.Query().Get("ref"), p)
			if status != http.StatusOK {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(status)
				msg := "404 File Not Found"
				if status != http.StatusNotFound {
					msg = http.StatusText(status)
				}
				json.NewEncoder(w).Encode(map[string]string{"message": msg})
				return
			}
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Write(b)
		})
	})
}
