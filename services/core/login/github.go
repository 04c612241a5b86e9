package login

import (
	"context"
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
