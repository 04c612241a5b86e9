package login

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/oauth2"
)

// gitLab is GitLab.com or a self-managed GitLab.
type gitLab struct {
	conf *oauth2.Config
	api  string // ends with /
}

// NewGitLab returns GitLab's provider. server is the web address
// (https://gitlab.com or a self-managed host); an API address ending in
// /api/v4 is accepted too.
func NewGitLab(server, clientID, clientSecret, redirect string) Provider {
	server = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(server, "/"), "/api/v4"), "/")
	if server == "" {
		server = "https://gitlab.com"
	}
	return &gitLab{
		conf: &oauth2.Config{
			ClientID: clientID, ClientSecret: clientSecret, RedirectURL: redirect, Scopes: []string{"api"},
			Endpoint: oauth2.Endpoint{AuthURL: server + "/oauth/authorize", TokenURL: server + "/oauth/token",
				AuthStyle: oauth2.AuthStyleInParams},
		},
		api: server + "/api/v4/",
	}
}

func (g *gitLab) Kind() string          { return "gitlab" }
func (g *gitLab) OAuth() *oauth2.Config { return g.conf }

func (g *gitLab) Account(ctx context.Context, hc *http.Client) (Account, error) {
	var u struct {
		Username string `json:"username"`
		Email    string `json:"email"`
		Avatar   string `json:"avatar_url"`
	}
	err := getJSON(ctx, hc, g.api+"user", &u)
	return Account{Login: u.Username, Email: u.Email, Avatar: u.Avatar}, err
}

func (g *gitLab) Orgs(ctx context.Context, hc *http.Client) ([]string, error) {
	var groups []struct {
		FullPath string `json:"full_path"`
	}
	if err := getJSON(ctx, hc, g.api+"groups?per_page=100&min_access_level=10", &groups); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(groups))
	for _, gr := range groups {
		out = append(out, gr.FullPath)
	}
	return out, nil
}

// project is the URL form of a project path: nested groups keep their
// slashes, encoded (group%2Fsub%2Fproject), as GitLab's API takes them.
func (g *gitLab) project(slug string) string { return g.api + "projects/" + url.PathEscape(slug) }

// GitLab access levels (Reporter may pull, Developer push, Maintainer
// administer), as Drone maps them.
const (
	reporter   = 20
	developer  = 30
	maintainer = 40
)

// glProject is a project as GitLab's API shows it.
type glProject struct {
	FullPath    string `json:"path_with_namespace"`
	Visibility  string `json:"visibility"`
	WebURL      string `json:"web_url"`
	HTTPURL     string `json:"http_url_to_repo"`
	SSHURL      string `json:"ssh_url_to_repo"`
	Branch      string `json:"default_branch"`
	Permissions struct {
		Project *struct {
			Level int `json:"access_level"`
		} `json:"project_access"`
		Group *struct {
			Level int `json:"access_level"`
		} `json:"group_access"`
	} `json:"permissions"`
}

// access maps the project's access levels to pull, push and admin.
func (p *glProject) access() (bool, bool, bool) {
	level := 0
	if a := p.Permissions.Project; a != nil {
		level = a.Level
	}
	if a := p.Permissions.Group; a != nil && a.Level > level {
		level = a.Level
	}
	return level >= reporter || p.Visibility != "private", level >= developer, level >= maintainer
}

func (g *gitLab) Perm(ctx context.Context, hc *http.Client, slug string) (bool, bool, bool, error) {
	var p glProject
	if err := getJSON(ctx, hc, g.project(slug), &p); err != nil {
		return false, false, false, err
	}
	pull, push, admin := p.access()
	return pull, push, admin, nil
}

func (g *gitLab) Repos(ctx context.Context, hc *http.Client) ([]Remote, error) {
	var out []Remote
	for page := 1; len(out) < maxRepos; page++ {
		var list []glProject
		if err := getJSON(ctx, hc, fmt.Sprintf("%sprojects?membership=true&per_page=100&page=%d", g.api, page), &list); err != nil {
			return nil, err
		}
		for _, p := range list {
			ns, name, ok := cutLast(p.FullPath)
			if !ok {
				continue
			}
			pull, push, admin := p.access()
			out = append(out, Remote{Namespace: ns, Name: name, Link: p.WebURL, HTTPURL: p.HTTPURL, SSHURL: p.SSHURL, Branch: p.Branch,
				Visibility: p.Visibility, Private: p.Visibility != "public", Pull: pull, Push: push, Admin: admin})
		}
		if len(list) < 100 {
			break
		}
	}
	return out, nil
}

// cutLast splits group/sub/project at its last slash.
func cutLast(path string) (string, string, bool) {
	i := strings.LastIndexByte(path, '/')
	if i <= 0 || i == len(path)-1 {
		return "", "", false
	}
	return path[:i], path[i+1:], true
}

func (g *gitLab) AddHook(ctx context.Context, hc *http.Client, slug, hookURL, secret string) error {
	return postJSON(ctx, hc, g.project(slug)+"/hooks", map[string]any{
		"url": hookURL, "token": secret, "push_events": true, "tag_push_events": true,
		"merge_requests_events": true, "enable_ssl_verification": true,
	})
}

func (g *gitLab) RemoveHooks(ctx context.Context, hc *http.Client, slug, hookURL string) error {
	var hooks []struct {
		ID  int64  `json:"id"`
		URL string `json:"url"`
	}
	if err := getJSON(ctx, hc, g.project(slug)+"/hooks?per_page=100", &hooks); err != nil {
		return err
	}
	for _, h := range hooks {
		if h.URL == hookURL {
			if err := deleteURL(ctx, hc, fmt.Sprintf("%s/hooks/%d", g.project(slug), h.ID)); err != nil {
				return err
			}
		}
	}
	return nil
}
