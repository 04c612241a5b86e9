package core

import (
	"context"
	"crypto/subtle"
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

// hook receives a GitHub or GitLab webhook (Drone's POST /hook). The
// signature over the raw body is checked first (see authenticate); only
// then is the payload decoded, and only for the events that build. A hook
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
	// Nothing of the body is interpreted before its signature matches a
	// secret Hangar holds.
	secret, err := s.authenticate(ctx, r, p, body)
	switch {
	case errors.Is(err, errUnknownHookRepo):
		s.unknownRepo(w, r)
		return
	case err != nil && httperr.Status(err) >= 500:
		s.fail(w, r, err)
		return
	case err != nil:
		s.reject(w, r, err)
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
		s.unknownRepo(w, r)
		return
	case err != nil:
		s.fail(w, r, httperr.Wrap(httperr.Unavailable, err, "database unavailable"))
		return
	}
	// The secret that matched must be the named repository's own: a
	// hook signed for one repository cannot build another.
	if own := s.hookSecret(repo); own == "" || subtle.ConstantTimeCompare([]byte(own), []byte(secret)) != 1 {
		s.reject(w, r, httperr.Wrap(httperr.Unauthorized, scmhook.ErrBadSignature, "webhook signature does not match the secret of %s", repo.Slug))
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

func (s *service) unknownRepo(w http.ResponseWriter, r *http.Request) {
	s.hooks.WithLabelValues("unknown_repo").Inc()
	reqlog.Annotate(r.Context(), slog.String("decision", "unknown repository"))
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
