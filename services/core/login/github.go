package login

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"golang.org/x/oauth2"
)

// gitHub is GitHub.com or GitHub Enterprise Server.
type gitHub struct {
	conf *oauth2.Config
	api  string // ends with /
}

// NewGitHub returns GitHub's provider. server is the web address
// (https://github.com or an Enterprise host); an API address ending in
// /api/v3 is accepted too.
func NewGitHub(server, clientID, clientSecret, redirect string) Provider {
	server = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(server, "/"), "/api/v3"), "/")
	api := server + "/api/v3/"
	if server == "" || server == "https://github.com" || server == "https://api.github.com" {
		server, api = "https://github.com", "https://api.github.com/"
	}
	return &gitHub{
		conf: &oauth2.Config{
			ClientID: clientID, ClientSecret: clientSecret, RedirectURL: redirect,
			Scopes: []string{"repo", "repo:status", "user:email", "read:org"},
			Endpoint: oauth2.Endpoint{AuthURL: server + "/login/oauth/authorize", TokenURL: server + "/login/oauth/access_token",
				AuthStyle: oauth2.AuthStyleInParams},
		},
		api: api,
	}
}

func (g *gitHub) Kind() string          { return "github" }
func (g *gitHub) OAuth() *oauth2.Config { return g.conf }

func (g *gitHub) Account(ctx context.Context, hc *http.Client) (Account, error) {
	var u struct {
		Login  string `json:"login"`
		Email  string `json:"email"`
		Avatar string `json:"avatar_url"`
	}
	err := getJSON(ctx, hc, g.api+"user", &u)
	return Account{Login: u.Login, Email: u.Email, Avatar: u.Avatar}, err
}

func (g *gitHub) Orgs(ctx context.Context, hc *http.Client) ([]string, error) {
	var orgs []struct {
		Login string `json:"login"`
	}
	if err := getJSON(ctx, hc, g.api+"user/orgs?per_page=100", &orgs); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(orgs))
	for _, o := range orgs {
		out = append(out, o.Login)
	}
	return out, nil
}

func (g *gitHub) Perm(ctx context.Context, hc *http.Client, slug string) (bool, bool, bool, error) {
	var r struct {
		Permissions struct {
			Admin bool `json:"admin"`
			Push  bool `json:"push"`
			Pull  bool `json:"pull"`
		} `json:"permissions"`
	}
	err := getJSON(ctx, hc, g.api+"repos/"+slug, &r)
	return r.Permissions.Pull, r.Permissions.Push, r.Permissions.Admin, err
}

func (g *gitHub) AddHook(ctx context.Context, hc *http.Client, slug, url, secret string) error {
	return postJSON(ctx, hc, g.api+"repos/"+slug+"/hooks", map[string]any{
		"name": "web", "active": true,
		"events": []string{"push", "pull_request", "create", "delete", "deployment"},
		"config": map[string]string{"url": url, "secret": secret, "content_type": "json", "insecure_ssl": "0"},
	})
}

func (g *gitHub) Repos(ctx context.Context, hc *http.Client) ([]Remote, error) {
	var out []Remote
	for page := 1; len(out) < maxRepos; page++ {
		var list []struct {
			Name     string `json:"name"`
			FullName string `json:"full_name"`
			Owner    struct {
				Login string `json:"login"`
			} `json:"owner"`
			Private     bool   `json:"private"`
			Visibility  string `json:"visibility"`
			HTMLURL     string `json:"html_url"`
			CloneURL    string `json:"clone_url"`
			SSHURL      string `json:"ssh_url"`
			Branch      string `json:"default_branch"`
			Permissions struct {
				Admin, Push, Pull bool
			} `json:"permissions"`
		}
		if err := getJSON(ctx, hc, fmt.Sprintf("%suser/repos?per_page=100&page=%d", g.api, page), &list); err != nil {
			return nil, err
		}
		for _, r := range list {
			vis := r.Visibility
			if vis == "" {
				vis = map[bool]string{true: "private", false: "public"}[r.Private]
			}
			out = append(out, Remote{Namespace: r.Owner.Login, Name: r.Name, Link: r.HTMLURL, HTTPURL: r.CloneURL, SSHURL: r.SSHURL,
				Branch: r.Branch, Visibility: vis, Private: r.Private, Pull: r.Permissions.Pull, Push: r.Permissions.Push, Admin: r.Permissions.Admin})
		}
		if len(list) < 100 {
			break
		}
	}
	return out, nil
}

func (g *gitHub) RemoveHooks(ctx context.Context, hc *http.Client, slug, url string) error {
	var hooks []struct {
		ID     int64 `json:"id"`
		Config struct {
			URL string `json:"url"`
		} `json:"config"`
	}
	if err := getJSON(ctx, hc, g.api+"repos/"+slug+"/hooks?per_page=100", &hooks); err != nil {
		return err
	}
	for _, h := range hooks {
		if h.Config.URL == url {
			if err := deleteURL(ctx, hc, fmt.Sprintf("%srepos/%s/hooks/%d", g.api, slug, h.ID)); err != nil {
				return err
			}
		}
	}
	return nil
}
