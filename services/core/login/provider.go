// Package login signs people in with their GitHub (incl. Enterprise) or
// GitLab (incl. self-managed) account through OAuth2, keeps their SCM
// token sealed, refreshes it when it expires, and asks the SCM, with that
// token, what they may do in a repository and to add webhooks.
package login

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"golang.org/x/oauth2"
)

// Account is who the SCM says signed in.
type Account struct {
	Login, Email, Avatar string
}

// Provider is one SCM's OAuth2 application and the calls login makes with
// a user's token.
type Provider interface {
	// Kind is "github" or "gitlab", the repositories' scm.
	Kind() string
	// OAuth is the application's OAuth2 configuration.
	OAuth() *oauth2.Config
	// Account returns the signed-in user.
	Account(ctx context.Context, hc *http.Client) (Account, error)
	// Orgs lists the user's organisations or groups (DRONE_USER_FILTER).
	Orgs(ctx context.Context, hc *http.Client) ([]string, error)
	// Perm asks what the user may do in the repository slug.
	Perm(ctx context.Context, hc *http.Client, slug string) (pull, push, admin bool, err error)
	// AddHook creates a webhook on slug sending to url with secret.
	AddHook(ctx context.Context, hc *http.Client, slug, url, secret string) error
	// RemoveHooks deletes slug's webhooks sending to url.
	RemoveHooks(ctx context.Context, hc *http.Client, slug, url string) error
	// Repos lists the repositories the user is a member of, with the
	// user's permission in each (at most maxRepos).
	Repos(ctx context.Context, hc *http.Client) ([]Remote, error)
}

// Remote is a repository as the SCM lists it for a user.
type Remote struct {
	Namespace, Name, Link, HTTPURL, SSHURL, Branch, Visibility string
	Private                                                    bool
	Pull, Push, Admin                                          bool
}

// maxRepos bounds a sync: 10 pages of 100.
const maxRepos = 1000

// getJSON GETs url with the user's client into out.
func getJSON(ctx context.Context, hc *http.Client, url string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	return doJSON(hc, req, out)
}

// postJSON POSTs in as JSON to url with the user's client.
func postJSON(ctx context.Context, hc *http.Client, url string, in any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(string(b)))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	return doJSON(hc, req, nil)
}

// deleteURL sends DELETE url with the user's client.
func deleteURL(ctx context.Context, hc *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, url, nil)
	if err != nil {
		return err
	}
	return doJSON(hc, req, nil)
}

// ErrNotFound is an SCM's 404: no such repository, or not visible to the
// user.
var ErrNotFound = errors.New("not found on the SCM")

func doJSON(hc *http.Client, req *http.Request, out any) error {
	res, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 4<<20))
	if err != nil {
		return err
	}
	switch {
	case res.StatusCode == http.StatusNotFound:
		return fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, ErrNotFound)
	case res.StatusCode >= 300:
		return fmt.Errorf("%s %s: SCM answered %d", req.Method, req.URL.Path, res.StatusCode)
	case out == nil:
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	return nil
}
