package core

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/services/core/store"
	"github.com/hangar-ci/hangar/shared/httperr"
	"github.com/hangar-ci/hangar/shared/scmhook"
)

// maxHookHashBytes bounds the HMAC work one GitHub hook without ?repo= may
// cost: candidate secrets × body length. At SHA-256 speed that is a few
// tens of milliseconds, so unsigned traffic cannot buy more.
const maxHookHashBytes = 64 << 20

// errUnknownHookRepo is a hook whose URL names a repository Hangar does
// not know: answered 204 like any hook for an unknown repository.
var errUnknownHookRepo = errors.New("unknown repository")

// hookSecret is the secret a repository's hooks are signed with: its own,
// else HANGAR_HOOK_SECRET.
func (s *service) hookSecret(repo *model.Repo) string {
	if repo.Secret != "" {
		return repo.Secret
	}
	return s.opts.HookSecret
}

// authenticate finds the secret the hook is signed with, before a byte of
// its body is interpreted. The hook URL may name the repository
// (/hook?repo=owner/name), and then only its secret is tried; Drone's
// plain /hook tries the secret of every repository of the provider and
// HANGAR_HOOK_SECRET, each compared in constant time, within a bounded
// amount of work.
func (s *service) authenticate(ctx context.Context, r *http.Request, p scmhook.Provider, body []byte) (string, error) {
	candidates, err := s.hookCandidates(ctx, r, p)
	if err != nil {
		return "", err
	}
	if len(candidates) == 0 {
		return "", httperr.New(httperr.Unauthorized, "no %s repository is active and HANGAR_HOOK_SECRET is unset: the hook cannot be verified", p)
	}
	if p == scmhook.GitHub && len(candidates) > 1 && len(candidates)*max(len(body), 1) > maxHookHashBytes {
		return "", httperr.New(httperr.Unauthorized, "too many repository secrets to try for a %d-byte hook: add ?repo=OWNER/NAME to the hook URL", len(body))
	}
	for _, c := range candidates {
		if err := scmhook.Verify(p, r.Header, body, c); err == nil {
			return c, nil
		} else if errors.Is(err, scmhook.ErrUnsigned) {
			return "", httperr.Wrap(httperr.Unauthorized, err, "%v", err)
		}
	}
	return "", httperr.Wrap(httperr.Unauthorized, scmhook.ErrBadSignature, "%v", scmhook.ErrBadSignature)
}

// hookCandidates lists the distinct secrets the hook may be signed with.
func (s *service) hookCandidates(ctx context.Context, r *http.Request, p scmhook.Provider) ([]string, error) {
	if slug := r.URL.Query().Get("repo"); slug != "" {
		repo, err := s.store.FindRepoSlug(ctx, string(p), strings.Trim(slug, "/"))
		switch {
		case errors.Is(err, store.ErrNotFound):
			return nil, errUnknownHookRepo
		case err != nil:
			return nil, httperr.Wrap(httperr.Unavailable, err, "database unavailable")
		}
		if sec := s.hookSecret(repo); sec != "" {
			return []string{sec}, nil
		}
		return nil, nil
	}
	secrets, err := s.repoSecrets(ctx, p)
	if err != nil {
		return nil, httperr.Wrap(httperr.Unavailable, err, "database unavailable")
	}
	seen := map[string]bool{"": true}
	var out []string
	// A repository without a secret of its own is covered by
	// HANGAR_HOOK_SECRET, added last.
	for _, sec := range append(secrets, s.opts.HookSecret) {
		if !seen[sec] {
			seen[sec] = true
			out = append(out, sec)
		}
	}
	return out, nil
}

// hookSecretStore is a store that lists the distinct webhook secrets of
// an SCM's repositories in one query (store.Store does); other stores
// are read through ListRepos.
type hookSecretStore interface {
	HookSecrets(ctx context.Context, scm string) ([]string, error)
}

func (s *service) repoSecrets(ctx context.Context, p scmhook.Provider) ([]string, error) {
	if hs, ok := s.store.(hookSecretStore); ok {
		return hs.HookSecrets(ctx, string(p))
	}
	repos, err := s.store.ListRepos(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, repo := range repos {
		if repo.SCM == string(p) {
			out = append(out, repo.Secret)
		}
	}
	return out, nil
}
