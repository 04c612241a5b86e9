// Package validate is Hangar's validator extension
// (DRONE_VALIDATE_PLUGIN_ENDPOINT): before a build runs, it checks the
// final YAML with Drone's lint rules and the platform team's policy from
// the config repository, and answers valid (204), skip (498), block for
// approval (499) or deny (400 naming every rule, pipeline and step).
package validate

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"unicode/utf8"

	"github.com/drone/drone-go/drone"
	"github.com/drone/drone-go/plugin/validator"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hangar-ci/hangar/shared/envconf"
	"github.com/hangar-ci/hangar/shared/httperr"
	"github.com/hangar-ci/hangar/shared/httpsig"
	"github.com/hangar-ci/hangar/shared/reqlog"
	"github.com/hangar-ci/hangar/shared/server"
	"github.com/hangar-ci/hangar/shared/wire"
)

// Name is the service's name and path prefix.
const Name = "validate"

// Drone's validator statuses (drone-go plugin/validator).
const (
	statusSkip  = 498
	statusBlock = 499
)

type service struct {
	opts      Options
	policies  *policySource
	analyses  analyzer
	logger    *slog.Logger
	decisions *prometheus.CounterVec
	cache     *prometheus.CounterVec
}

// analyzer parses and lints a YAML text; hit reports a cached answer.
// Parsing waits for room in the parse memory; errBusy says there was none
// in time.
type analyzer interface {
	analyze(ctx context.Context, data string, trusted bool, o CheckOptions) (a *analysis, hit bool, err error)
}

// uncached analyses every text afresh (HANGAR_VALIDATE_CACHE_ENTRIES=0).
type uncached struct{ budget *parseBudget }

func (u uncached) analyze(ctx context.Context, data string, trusted bool, o CheckOptions) (*analysis, bool, error) {
	release, err := u.budget.acquire(ctx, len(data))
	if err != nil {
		return nil, false, err
	}
	defer release()
	return analyze(data, trusted, o), false, nil
}

// FromEnv builds the service from the environment.
func FromEnv(lookup envconf.Lookup, env server.Env) (*server.Service, error) {
	opts, err := OptionsFromEnv(lookup)
	if err != nil {
		return nil, err
	}
	return New(opts, env)
}

// New returns the validate service; its policy is read from env.Repo.
func New(opts Options, env server.Env) (*server.Service, error) {
	if env.Repo == nil {
		return nil, errors.New("validate: no config repository")
	}
	v, err := opts.Signature.Verifier()
	if err != nil {
		return nil, err
	}
	if opts.PolicyPath == "" {
		opts.PolicyPath = DefaultPolicyPath
	}
	budget := newParseBudget(opts.ParseMemory, opts.ParseWait)
	s := &service{
		opts:     opts,
		policies: newPolicySource(env.Repo, opts.PolicyPath, env.Logger),
		logger:   env.Logger,
		analyses: uncached{budget},
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hangar_validate_decisions_total",
			Help: "Validation decisions by outcome (valid, skip, block, deny).",
		}, []string{"decision"}),
		cache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hangar_validate_cache_total",
			Help: "Parse and lint results served from the content cache (hit) or computed (miss).",
		}, []string{"result"}),
	}
	if opts.CacheEntries > 0 {
		s.analyses = newParseCache(opts.CacheEntries, int64(opts.CacheBytes), budget)
	}
	if env.Registry != nil {
		for _, c := range []prometheus.Collector{s.decisions, s.cache} {
			if err := env.Registry.Register(c); err != nil {
				return nil, err
			}
		}
	}
	mux := http.NewServeMux()
	// Registered without a method so the verifier answers a GET with its
	// reason instead of the mux's bare 405.
	mux.Handle("/{$}", v.Middleware(http.HandlerFunc(s.validate)))
	return &server.Service{Name: Name, Handler: mux, Ready: s.policies.ready}, nil
}

// validate answers one Drone validate request.
func (s *service) validate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	// JSON must be UTF-8 (RFC 8259); Go's decoder would quietly turn bad
	// bytes into U+FFFD and validate a pipeline nobody wrote.
	if body, ok := httpsig.Body(r); ok && !utf8.Valid(body) {
		httperr.Write(w, r, httperr.New(httperr.Invalid, "request body is not valid UTF-8"))
		return
	}
	var req validator.Request
	if err := wire.Decode(r, &req); err != nil {
		httperr.Write(w, r, err)
		return
	}
	slug := slugOf(req.Repo)
	reqlog.Annotate(ctx, slog.String("repo", slug), slog.String("event", req.Build.Event))
	policy, err := s.policies.get(ctx)
	if err != nil {
		// Fail closed: without a valid policy nothing is allowed through.
		httperr.Write(w, r, httperr.Wrap(httperr.Unavailable, err, "validate: %v", err))
		return
	}
	a, hit, err := s.analyses.analyze(ctx, req.Config.Data, req.Repo.Trusted, CheckOptions{Lint: s.opts.Lint})
	var tooLarge *tooLargeError
	switch {
	case errors.As(err, &tooLarge):
		httperr.Write(w, r, httperr.Wrap(httperr.TooLarge, err, "validate: %v", err))
		return
	case err != nil:
		// Drone retries nothing by itself; Hangar's core retries a 5xx.
		w.Header().Set("Retry-After", "2")
		httperr.Write(w, r, httperr.Wrap(httperr.Unavailable, err, "validate: %v (HANGAR_VALIDATE_PARSE_MEMORY): retry shortly", err))
		return
	}
	s.cache.WithLabelValues(map[bool]string{true: "hit", false: "miss"}[hit]).Inc()
	d := a.decide(ctx, policy, req.Build, req.Repo)
	s.decisions.WithLabelValues(d.Outcome).Inc()
	rules := d.Rules()
	reqlog.Annotate(ctx, slog.String("decision", d.Outcome), slog.Any("rules", rules))
	s.logger.LogAttrs(ctx, slog.LevelInfo, "audit",
		slog.String("service", Name),
		slog.String("repo", slug),
		slog.Int64("build", req.Build.Number),
		slog.String("event", req.Build.Event),
		slog.String("ref", req.Build.Ref),
		slog.String("commit", req.Build.After),
		slog.String("decision", d.Outcome),
		slog.Any("rules", rules),
		slog.String("request_id", w.Header().Get(server.RequestIDHeader)),
	)
	switch d.Outcome {
	case DecisionValid:
		w.WriteHeader(http.StatusNoContent)
	case DecisionSkip:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(statusSkip)
		w.Write([]byte(d.Message() + "\n"))
	case DecisionBlock:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(statusBlock)
		w.Write([]byte(d.Message() + "\n"))
	default:
		// The shape drone-go's validator handler answers errors with.
		wire.WriteJSON(w, http.StatusBadRequest, &drone.Error{Code: http.StatusBadRequest, Message: d.Message()})
	}
}
