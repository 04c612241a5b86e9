package core

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"

	"github.com/hangar-ci/hangar/services/core/store"
	"github.com/hangar-ci/hangar/shared/httperr"
	"github.com/hangar-ci/hangar/shared/reqlog"
	"github.com/hangar-ci/hangar/shared/scmhook"
	"github.com/hangar-ci/hangar/shared/wire"
)

// hook receives a GitHub or GitLab webhook (Drone's POST /hook). Nothing is
// written unless the hook is signed with the repository's secret; a hook
// for an unknown or inactive repository, or an event that does not build,
// is answered 204 as Drone does.
func (s *service) hook(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p, err := scmhook.Detect(r.Header)
	if err != nil {
		s.reject(w, r, httperr.Wrap(httperr.Invalid, err, "%v", err))
		return
	}
	event := scmhook.Event(p, r.Header)
	reqlog.Annotate(ctx, slog.String("provider", string(p)), slog.String("event", event))
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opts.MaxHookBody))
	if err != nil {
		s.reject(w, r, httperr.Wrap(httperr.TooLarge, err, "webhook body unreadable or over %d bytes", s.opts.MaxHookBody))
		return
	}
	// An unsigned hook is refused before its body is even parsed.
	if !signed(p, r.Header) {
		s.reject(w, r, httperr.Wrap(httperr.Unauthorized, scmhook.ErrUnsigned, "%v", scmhook.ErrUnsigned))
		return
	}
	parsed, err := parseHook(p, event, body)
	if err != nil {
		s.reject(w, r, httperr.Wrap(httperr.Invalid, err, "malformed %s webhook: %v", p, err))
		return
	}
	if parsed.slug == "" {
		s.ignore(w, r, parsed.reason)
		return
	}
	reqlog.Annotate(ctx, slog.String("repo", parsed.slug))
	repo, err := s.store.FindRepoSlug(ctx, string(p), parsed.slug)
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.hooks.WithLabelValues("unknown_repo").Inc()
		reqlog.Annotate(ctx, slog.String("decision", "unknown repository"))
		w.WriteHeader(http.StatusNoContent)
		return
	case err != nil:
		s.fail(w, r, httperr.Wrap(httperr.Unavailable, err, "database unavailable"))
		return
	}
	secret := repo.Secret
	if secret == "" {
		secret = s.opts.HookSecret
	}
	if secret == "" {
		s.reject(w, r, httperr.New(httperr.Unauthorized, "repository %s has no webhook secret and HANGAR_HOOK_SECRET is unset: the hook cannot be verified", repo.Slug))
		return
	}
	if err := scmhook.Verify(p, r.Header, body, secret); err != nil {
		s.reject(w, r, httperr.Wrap(httperr.Unauthorized, err, "%v", err))
		return
	}
	if !repo.Active {
		s.ignore(w, r, "repository inactive")
		return
	}
	if parsed.hook == nil {
		s.ignore(w, r, parsed.reason)
		return
	}
	// A hook that was accepted runs to its end even if the SCM stops
	// waiting for the answer: the build, its status and its webhook must
	// not be cut half-way. Each extension call has its own timeout.
	build, stages, err := s.trigger.trigger(context.WithoutCancel(ctx), repo, parsed.hook)
	if err != nil {
		var ce *errConfig
		if errors.As(err, &ce) {
			s.fail(w, r, httperr.Wrap(httperr.Internal, err, "%s", ce.Error()))
			return
		}
		s.fail(w, r, httperr.Wrap(httperr.Internal, err, "the build could not be created: %v", err))
		return
	}
	if build == nil {
		s.hooks.WithLabelValues("skipped").Inc()
		wire.WriteJSON(w, http.StatusOK, nil)
		return
	}
	outcome := "build"
	if build.Status == "error" {
		outcome = "error_build"
	}
	s.hooks.WithLabelValues(outcome).Inc()
	wire.WriteJSON(w, http.StatusOK, toWireBuild(build, stages))
}

func (s *service) ignore(w http.ResponseWriter, r *http.Request, reason string) {
	s.hooks.WithLabelValues("ignored").Inc()
	reqlog.Annotate(r.Context(), slog.String("decision", "ignored"), slog.String("reason", reason))
	w.WriteHeader(http.StatusNoContent)
}

func (s *service) reject(w http.ResponseWriter, r *http.Request, err error) {
	s.hooks.WithLabelValues("rejected").Inc()
	httperr.Write(w, r, err)
}

func (s *service) fail(w http.ResponseWriter, r *http.Request, err error) {
	s.hooks.WithLabelValues("failed").Inc()
	httperr.Write(w, r, err)
}

// signed reports whether the hook carries its provider's signature header.
func signed(p scmhook.Provider, h http.Header) bool {
	if p == scmhook.GitHub {
		return h.Get("X-Hub-Signature-256") != ""
	}
	return h.Get("X-Gitlab-Token") != ""
}
