// Package web serves Hangar's pages at the root of the core server: the
// repositories a user can see, a repository's builds, a build with its
// stage graph, steps and logs, and a repository's settings.
//
// The pages are one html/template shell per view with the forms filled in
// on the server, and one plain JavaScript file that reads and changes
// everything through Drone's REST API (/api/...) with the caller's own
// credentials, so a page can never show what the API would refuse. There
// is no front-end build step: the assets are embedded with go:embed.
//
// Paths are Drone's UI paths: / (repositories), /{owner}/{name} (builds),
// /{owner}/{name}/settings, /{owner}/{name}/{build} and
// /{owner}/{name}/{build}/{stage}/{step}. Assets live under /-/, a prefix
// no GitHub or GitLab namespace can take.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

//go:embed assets templates
var files embed.FS

// Options configure the pages.
type Options struct {
	// SessionCookie names the browser session cookie the CSRF token is
	// bound to (Drone's "_session_" when empty).
	SessionCookie string
	// Log receives template errors; slog.Default when nil.
	Log *slog.Logger
}

// Handler serves the pages and their assets.
type Handler struct {
	opts   Options
	page   *template.Template
	assets map[string]*asset
}

// New prepares the embedded templates and assets. It panics only when
// they are broken, which the package's tests catch.
func New(opts Options) *Handler {
	if opts.SessionCookie == "" {
		opts.SessionCookie = DefaultSessionCookie
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	h := &Handler{opts: opts, assets: map[string]*asset{}}
	err := fs.WalkDir(files, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		h.assets[strings.TrimPrefix(p, "assets/")] = newAsset(p, b)
		return nil
	})
	if err != nil {
		panic("web: embedded assets: " + err.Error())
	}
	h.page = template.Must(template.New("page.html").Funcs(template.FuncMap{
		"asset": h.assetURL,
		"list":  func(v ...string) []string { return v },
		"inc":   func(n int) int { return n + 1 },
		"dec":   func(n int) int { return n - 1 },
	}).ParseFS(files, "templates/page.html"))
	return h
}

// assetURL is an asset's path with its content hash, so it can be cached
// for good.
func (h *Handler) assetURL(name string) string {
	a, ok := h.assets[name]
	if !ok {
		return "/-/missing/" + name
	}
	return "/-/" + name + "?v=" + a.hash
}

// view is what the template renders.
type view struct {
	// Kind is repos, builds, build, settings or notfound.
	Kind        string
	Owner, Name string
	Build       int64
	Stage, Step int
	Title       string
	CSRF        string
	// Filter holds the build list's filters as the query gave them.
	Filter filter
}

type filter struct {
	Branch, Event, Status, Author string
	Page                          int
}

var (
	segment = regexp.MustCompile(`^[A-Za-z0-9_.][A-Za-z0-9_.\-]{0,99}$`)
	number  = regexp.MustCompile(`^[1-9][0-9]{0,17}$`)
)

// route maps a path to a view; ok is false for paths that are no page.
func route(path string) (v view, ok bool) {
	if path == "/" {
		return view{Kind: "repos", Title: "Repositories"}, true
	}
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if len(parts) < 2 || !segment.MatchString(parts[0]) || !segment.MatchString(parts[1]) {
		return view{}, false
	}
	v = view{Owner: parts[0], Name: parts[1]}
	slug := v.Owner + "/" + v.Name
	switch {
	case len(parts) == 2:
		v.Kind, v.Title = "builds", slug
	case len(parts) == 3 && parts[2] == "settings":
		v.Kind, v.Title = "settings", "Settings · "+slug
	case (len(parts) == 3 || len(parts) == 5) && number.MatchString(parts[2]):
		v.Kind = "build"
		v.Build, _ = strconv.ParseInt(parts[2], 10, 64)
		v.Title = slug + " #" + parts[2]
		if len(parts) == 5 {
			st, err1 := strconv.Atoi(parts[3])
			sp, err2 := strconv.Atoi(parts[4])
			if err1 != nil || err2 != nil || st < 1 || sp < 1 {
				return view{}, false
			}
			v.Stage, v.Step = st, sp
		}
	default:
		return view{}, false
	}
	return v, true
}

// ServeHTTP answers GET and HEAD for the pages and the assets.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if name, ok := strings.CutPrefix(r.URL.Path, "/-/"); ok {
		h.serveAsset(w, r, name)
		return
	}
	v, ok := route(r.URL.Path)
	status := http.StatusOK
	if !ok {
		v, status = view{Kind: "notfound", Title: "Not found"}, http.StatusNotFound
	}
	if v.Kind == "builds" {
		q := r.URL.Query()
		v.Filter = filter{Branch: q.Get("branch"), Event: q.Get("event"), Status: q.Get("status"), Author: q.Get("author"), Page: max(1, atoi(q.Get("page")))}
	}
	v.CSRF = Token(r, h.opts.SessionCookie)
	var buf bytes.Buffer
	if err := h.page.Execute(&buf, v); err != nil {
		h.opts.Log.Error("web: rendering a page failed", slog.String("error", err.Error()), slog.String("view", v.Kind))
		http.Error(w, "the page could not be rendered", http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	// The shell carries a CSRF token bound to the session: never cached.
	hd.Set("Cache-Control", "no-store")
	setSecurityHeaders(hd)
	w.WriteHeader(status)
	if r.Method == http.MethodGet {
		w.Write(buf.Bytes())
	}
}

// setSecurityHeaders keeps the pages to their own origin: no inline
// script, no framing, nothing loaded from elsewhere except avatars.
func setSecurityHeaders(hd http.Header) {
	hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: https:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "same-origin")
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0
	}
	return n
}

// asset is an embedded file with its hash and, where it pays, a gzip copy.
type asset struct {
	body, gz []byte
	hash     string
	ctype    string
}

func newAsset(name string, b []byte) *asset {
	sum := sha256.Sum256(b)
	a := &asset{body: b, hash: hex.EncodeToString(sum[:8]), ctype: contentType(name)}
	a.gz = gzipped(b)
	return a
}

func contentType(name string) string {
	switch {
	case strings.HasSuffix(name, ".js"):
		return "text/javascript; charset=utf-8"
	case strings.HasSuffix(name, ".css"):
		return "text/css; charset=utf-8"
	case strings.HasSuffix(name, ".svg"):
		return "image/svg+xml"
	}
	return "application/octet-stream"
}

func (h *Handler) serveAsset(w http.ResponseWriter, r *http.Request, name string) {
	a, ok := h.assets[name]
	if !ok {
		http.Error(w, "no such asset", http.StatusNotFound)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", a.ctype)
	hd.Set("ETag", `"`+a.hash+`"`)
	hd.Set("Vary", "Accept-Encoding")
	hd.Set("X-Content-Type-Options", "nosniff")
	if r.URL.Query().Get("v") == a.hash {
		hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		hd.Set("Cache-Control", "no-cache")
	}
	if r.Header.Get("If-None-Match") == `"`+a.hash+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := a.body
	if a.gz != nil && acceptsGzip(r) {
		hd.Set("Content-Encoding", "gzip")
		body = a.gz
	}
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method == http.MethodGet {
		w.Write(body)
	}
}
