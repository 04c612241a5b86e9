// Package coretest stands in for what cannot run in tests of the core
// server: the GitHub and GitLab APIs. Each fake answers the documented
// endpoints the core server calls — file contents, a commit, commit
// statuses, and through scmtest.History compare, pull request files and
// merge request diffs — from in-memory data, and records every status it
// is sent.
package coretest

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/hangar-ci/hangar/shared/scm/scmtest"
)

// Status is one commit status as the fake received it.
type Status struct {
	Slug, SHA                        string
	State, Context, Description, URL string
}

// Commit is what the fake answers for a commit.
type Commit struct {
	Message, AuthorLogin, AuthorName, AuthorEmail, Avatar string
}

// Link is the web page of a commit, as GitHub's html_url and GitLab's
// web_url give it.
func (s *SCM) Link(slug, sha string) string {
	if strings.HasSuffix(s.APIURL, "/api/v4") {
		return s.URL + "/" + slug + "/-/commit/" + sha
	}
	return s.URL + "/" + slug + "/commit/" + sha
}

// SCM is a fake GitHub or GitLab API.
type SCM struct {
	*httptest.Server
	// APIURL is the base URL to configure (HANGAR_GITHUB_URL / HANGAR_GITLAB_URL).
	APIURL string
	// History answers compare, pull request files and merge request diffs
	// as the providers document them.
	History *scmtest.History

	mu       sync.Mutex
	files    map[string][]byte // slug@ref:path
	anyFiles map[string][]byte // path, for every slug and ref
	commits  map[string]Commit // slug@sha
	branches map[string]string // slug@branch → sha
	statuses []Status
}

func newSCM() *SCM {
	return &SCM{files: map[string][]byte{}, anyFiles: map[string][]byte{}, commits: map[string]Commit{}, branches: map[string]string{}, History: scmtest.NewHistory()}
}

// SetDefaultFile serves content at path for every repository and ref that
// has no file of its own there.
func (s *SCM) SetDefaultFile(path string, content []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.anyFiles[path] = content
}

// SetFile serves content at slug@ref:path.
func (s *SCM) SetFile(slug, ref, path string, content []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[slug+"@"+ref+":"+path] = content
}

// SetCommit serves a commit of slug.
func (s *SCM) SetCommit(slug, sha string, c Commit) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.commits[slug+"@"+sha] = c
}

// SetBranch points a branch of slug at a commit (set with SetCommit).
func (s *SCM) SetBranch(slug, branch, sha string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.branches[slug+"@"+branch] = sha
}

// branch returns the head of a branch and its commit.
func (s *SCM) branch(slug, branch string) (string, Commit, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sha, ok := s.branches[slug+"@"+branch]
	if !ok {
		return "", Commit{}, false
	}
	c, ok := s.commits[slug+"@"+sha]
	return sha, c, ok
}

// Statuses returns every status received so far, in order.
func (s *SCM) Statuses() []Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Status(nil), s.statuses...)
}

func (s *SCM) file(slug, ref, path string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, ok := s.files[slug+"@"+ref+":"+path]; ok {
		return b, true
	}
	b, ok := s.anyFiles[path]
	return b, ok
}

func (s *SCM) commit(slug, sha string) (Commit, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.commits[slug+"@"+sha]
	return c, ok
}

func (s *SCM) record(st Status) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.statuses = append(s.statuses, st)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// NewGitHub serves GitHub's REST API under /api/v3/ (GitHub Enterprise
// layout, which go-github addresses with WithEnterpriseURLs).
func NewGitHub(t testing.TB) *SCM {
	s := newSCM()
	notFound := func(w http.ResponseWriter) {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v3/repos/{owner}/{repo}/contents/{path...}", func(w http.ResponseWriter, r *http.Request) {
		slug := r.PathValue("owner") + "/" + r.PathValue("repo")
		b, ok := s.file(slug, r.URL.Query().Get("ref"), r.PathValue("path"))
		if !ok {
			notFound(w)
			return
		}
		p := r.PathValue("path")
		writeJSON(w, http.StatusOK, map[string]any{
			"type": "file", "encoding": "base64", "size": len(b), "name": p[strings.LastIndexByte(p, '/')+1:], "path": p,
			"content": base64.StdEncoding.EncodeToString(b), "sha": "0000000000000000000000000000000000000000",
		})
	})
	mux.HandleFunc("GET /api/v3/repos/{owner}/{repo}/commits/{sha}", func(w http.ResponseWriter, r *http.Request) {
		slug := r.PathValue("owner") + "/" + r.PathValue("repo")
		c, ok := s.commit(slug, r.PathValue("sha"))
		// History adds parents and files to the commit's answer.
		out, inHistory := s.History.GitHubCommit(w, r, slug, r.PathValue("sha"))
		if !ok && !inHistory {
			writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"message": "No commit found for SHA: " + r.PathValue("sha")})
			return
		}
		body := githubCommit(slug, r.PathValue("sha"), c, s.Link(slug, r.PathValue("sha")))
		for k, v := range out {
			body[k] = v // History's parents and files
		}
		writeJSON(w, http.StatusOK, body)
	})
	// GET a branch: {name, commit: <the commit object>, protected, _links},
	// 404 "Branch not found" for an unknown one.
	mux.HandleFunc("GET /api/v3/repos/{owner}/{repo}/branches/{branch...}", func(w http.ResponseWriter, r *http.Request) {
		slug := r.PathValue("owner") + "/" + r.PathValue("repo")
		sha, c, ok := s.branch(slug, r.PathValue("branch"))
		if !ok {
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "Branch not found", "documentation_url": "https://docs.github.com/rest/branches/branches#get-a-branch", "status": "404"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"name": r.PathValue("branch"), "commit": githubCommit(slug, sha, c, s.Link(slug, sha)), "protected": false,
			"_links": map[string]string{"self": s.URL + "/api/v3/repos/" + slug + "/branches/" + r.PathValue("branch"), "html": s.URL + "/" + slug + "/tree/" + r.PathValue("branch")},
		})
	})
	mux.HandleFunc("POST /api/v3/repos/{owner}/{repo}/statuses/{sha}", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			State       string `json:"state"`
			TargetURL   string `json:"target_url"`
			Description string `json:"description"`
			Context     string `json:"context"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"message": "Problems parsing JSON"})
			return
		}
		switch in.State {
		case "pending", "success", "failure", "error":
		default:
			writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"message": "Validation Failed"})
			return
		}
		s.record(Status{Slug: r.PathValue("owner") + "/" + r.PathValue("repo"), SHA: r.PathValue("sha"),
			State: in.State, Context: in.Context, Description: in.Description, URL: in.TargetURL})
		writeJSON(w, http.StatusCreated, map[string]any{"state": in.State, "context": in.Context, "target_url": in.TargetURL, "description": in.Description})
	})
	s.History.RegisterGitHub(mux, "/api/v3")
	s.Server = httptest.NewServer(mux)
	s.APIURL = s.URL + "/api/v3/"
	t.Cleanup(s.Close)
	return s
}

// githubCommit is a commit as GitHub's REST API answers it (the fields
// the core server reads, in their documented places).
func githubCommit(slug, sha string, c Commit, link string) map[string]any {
	return map[string]any{
		"sha": sha, "node_id": "C_" + sha[:min(len(sha), 8)], "html_url": link,
		"url": "https://api.github.com/repos/" + slug + "/commits/" + sha,
		"commit": map[string]any{
			"message":   c.Message,
			"author":    map[string]string{"name": c.AuthorName, "email": c.AuthorEmail, "date": "2026-11-29T18:00:00Z"},
			"committer": map[string]string{"name": c.AuthorName, "email": c.AuthorEmail, "date": "2026-11-29T18:00:00Z"},
		},
		"author":  map[string]any{"login": c.AuthorLogin, "avatar_url": c.Avatar, "type": "User"},
		"parents": []any{},
	}
}

// gitlabCommit is a commit as GitLab's REST API answers it.
func gitlabCommit(sha string, c Commit, link string) map[string]any {
	return map[string]any{
		"id": sha, "short_id": sha[:min(len(sha), 8)], "message": c.Message, "title": strings.SplitN(c.Message, "\n", 2)[0],
		"author_name": c.AuthorName, "author_email": c.AuthorEmail, "authored_date": "2026-11-29T18:00:00.000Z",
		"committer_name": c.AuthorName, "committer_email": c.AuthorEmail, "committed_date": "2026-11-29T18:00:00.000Z",
		"created_at": "2026-11-29T18:00:00.000Z", "parent_ids": []string{}, "web_url": link,
	}
}

// NewGitLab serves GitLab's REST API under /api/v4, with project ids as
// URL-encoded paths (group%2Fproject) as client-go sends them.
func NewGitLab(t testing.TB) *SCM {
	s := newSCM()
	notFound := func(w http.ResponseWriter, what string) {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 " + what + " Not Found"})
	}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Routed on the escaped path: ids and file paths carry %2F.
		parts := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/api/v4/projects/"), "/")
		if len(parts) < 3 {
			notFound(w, "Project")
			return
		}
		slug, err := url.PathUnescape(parts[0])
		if err != nil {
			notFound(w, "Project")
			return
		}
		if s.History.ServeGitLab(w, r, slug, parts[1:]) {
			return
		}
		switch {
		case r.Method == http.MethodGet && len(parts) == 5 && parts[1] == "repository" && parts[2] == "files" && parts[4] == "raw":
			p, _ := url.PathUnescape(parts[3])
			b, ok := s.file(slug, r.URL.Query().Get("ref"), p)
			if !ok {
				notFound(w, "File")
				return
			}
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Write(b)
		case r.Method == http.MethodGet && len(parts) == 4 && parts[1] == "repository" && parts[2] == "commits":
			c, ok := s.commit(slug, parts[3])
			parents, inHistory := s.History.Parents(slug, parts[3])
			if !ok && !inHistory {
				notFound(w, "Commit")
				return
			}
			body := gitlabCommit(parts[3], c, s.Link(slug, parts[3]))
			if parents != nil {
				body["parent_ids"] = parents
			}
			writeJSON(w, http.StatusOK, body)
		case r.Method == http.MethodGet && len(parts) == 4 && parts[1] == "repository" && parts[2] == "branches":
			// GET a branch: {name, merged, protected, default, commit},
			// 404 "Branch Not Found" for an unknown one.
			name, _ := url.PathUnescape(parts[3])
			sha, c, ok := s.branch(slug, name)
			if !ok {
				notFound(w, "Branch")
				return
			}
			writeJSON(w, http.StatusOK, map[string]any{"name": name, "merged": false, "protected": false, "default": false,
				"developers_can_push": false, "developers_can_merge": false, "can_push": true, "commit": gitlabCommit(sha, c, s.Link(slug, sha))})
		case r.Method == http.MethodPost && len(parts) == 3 && parts[1] == "statuses":
			body, _ := io.ReadAll(r.Body)
			var in struct {
				State       string `json:"state"`
				Name        string `json:"name"`
				TargetURL   string `json:"target_url"`
				Description string `json:"description"`
			}
			if err := json.Unmarshal(body, &in); err != nil {
				q, _ := url.ParseQuery(string(body))
				in.State, in.Name, in.TargetURL, in.Description = q.Get("state"), q.Get("name"), q.Get("target_url"), q.Get("description")
			}
			switch in.State {
			case "pending", "running", "success", "failed", "canceled":
			default:
				writeJSON(w, http.StatusBadRequest, map[string]string{"message": "state does not have a valid value"})
				return
			}
			s.record(Status{Slug: slug, SHA: parts[2], State: in.State, Context: in.Name, Description: in.Description, URL: in.TargetURL})
			writeJSON(w, http.StatusCreated, map[string]any{"status": in.State, "name": in.Name, "target_url": in.TargetURL})
		default:
			notFound(w, "Endpoint")
		}
	}))
	s.APIURL = s.URL + "/api/v4"
	t.Cleanup(s.Close)
	return s
}
