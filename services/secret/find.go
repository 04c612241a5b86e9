package secret

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/drone/drone-go/drone"

	"github.com/hangar-ci/hangar/shared/aesgcm"
	"github.com/hangar-ci/hangar/shared/httperr"
	"github.com/hangar-ci/hangar/shared/reqlog"
	"github.com/hangar-ci/hangar/shared/scope"
	"github.com/hangar-ci/hangar/shared/vaultkv"
	"github.com/hangar-ci/hangar/shared/wire"
)

// notAvailable is the one public answer for a secret that is missing or
// refused, so a build cannot probe which secrets exist; the reason goes to
// the log.
const notAvailable = "secret %q at %q is not available to this build"

// secretRequest is drone-go's secret.Request as far as the lookup reads it.
type secretRequest struct {
	Name string `json:"name"`
	Path string `json:"path"`
	wire.Subject
}

// find answers one Drone secret request. drone-go's handler never answers
// 204: a missing or refused secret is a 404.
func (s *service) find(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var req secretRequest
	if err := wire.Decode(r, &req); err != nil {
		s.fail(w, r, "invalid", err)
		return
	}
	name := req.Name
	if name == "" {
		name = "value" // drone-vault's default key
	}
	b := scope.FromSubject(req.Subject)
	reqlog.Annotate(ctx, slog.String("repo", b.Repo), slog.String("event", b.Event),
		slog.String("branch", b.Target), slog.String("secret_path", req.Path), slog.String("secret_name", name))
	if req.Path == "" {
		s.fail(w, r, "missing", httperr.New(httperr.NotFound, "secret %q: no path given (declare get.path in the pipeline)", name))
		return
	}
	sec, err := s.store.Read(ctx, req.Path)
	switch {
	case errors.Is(err, vaultkv.ErrInvalidPath):
		s.fail(w, r, "invalid", httperr.Wrap(httperr.Invalid, err, "secret path %q is not valid", req.Path))
		return
	case errors.Is(err, vaultkv.ErrNotFound):
		s.fail(w, r, "missing", httperr.Wrap(httperr.NotFound, err, notAvailable, name, req.Path))
		return
	case err != nil:
		s.fail(w, r, "error", httperr.Wrap(httperr.Unavailable, err, "secret backend unavailable: %v", err))
		return
	}
	value, ok, err := pick(sec.Data, name)
	if err != nil {
		s.fail(w, r, "error", httperr.Wrap(httperr.Internal, err, "secret %q at %q cannot be encoded", name, req.Path))
		return
	}
	if !ok {
		s.fail(w, r, "missing", httperr.Wrap(httperr.NotFound, errors.New("no such key in the secret"), notAvailable, name, req.Path))
		return
	}
	central, err := s.policy.rules(ctx, sec.Path, name)
	if err != nil {
		// Fail closed and visibly: a broken policy must not release secrets.
		s.fail(w, r, "error", httperr.Wrap(httperr.Unavailable, err, "central secret policy unavailable: %v", err))
		return
	}
	rules := append([]scope.Rule{scope.FromKeys("secret "+sec.Path, sec.Data)}, central...)
	if err := scope.Check(b, rules...); err != nil {
		s.fail(w, r, "denied", httperr.Wrap(httperr.NotFound, err, notAvailable, name, req.Path))
		return
	}
	reqlog.Annotate(ctx, slog.String("decision", "released"), slog.String("secret_canonical", sec.Path))
	// Hangar has applied the pull request and fork rules itself; the flags
	// tell the runner not to drop the secret again.
	out := drone.Secret{Name: req.Name, Data: value, Pull: true, PullRequest: true, Fork: true}
	if err := aesgcm.WriteJSON(w, r, s.key, out); err != nil {
		s.fail(w, r, "error", httperr.Wrap(httperr.Internal, err, "cannot encrypt the answer: %v", err))
		return
	}
	s.lookups.WithLabelValues("released").Inc()
}

// fail counts the outcome and answers err; the log line carries the
// reason, never a value.
func (s *service) fail(w http.ResponseWriter, r *http.Request, outcome string, err error) {
	s.lookups.WithLabelValues(outcome).Inc()
	reqlog.Annotate(r.Context(), slog.String("decision", outcome))
	httperr.Write(w, r, err)
}
