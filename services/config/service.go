// Package config is Hangar's config extension (DRONE_YAML_ENDPOINT): it
// answers each build with the most specific pipeline file of the central
// config repository, or 204 so Drone reads the repository's own file.
package config

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/drone/drone-go/drone"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hangar-ci/hangar/shared/envconf"
	"github.com/hangar-ci/hangar/shared/httperr"
	"github.com/hangar-ci/hangar/shared/reqlog"
	"github.com/hangar-ci/hangar/shared/server"
	"github.com/hangar-ci/hangar/shared/tree"
	"github.com/hangar-ci/hangar/shared/wire"
)

// Name is the service's name and path prefix.
const Name = "config"

type service struct {
	opts    Options
	repo    tree.Tree
	logger  *slog.Logger
	lookups *prometheus.CounterVec
}

// FromEnv builds the service from the environment.
func FromEnv(lookup envconf.Lookup, env server.Env) (*server.Service, error) {
	opts, err := OptionsFromEnv(lookup)
	if err != nil {
		return nil, err
	}
	return New(opts, env)
}

// New returns the config service over env.Repo.
func New(opts Options, env server.Env) (*server.Service, error) {
	if env.Repo == nil {
		return nil, errors.New("config: no config repository")
	}
	v, err := opts.Signature.Verifier()
	if err != nil {
		return nil, err
	}
	if len(opts.Extensions) == 0 {
		opts.Extensions = DefaultExtensions
	}
	s := &service{
		opts:   opts,
		repo:   env.Repo,
		logger: env.Logger,
		lookups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hangar_config_lookups_total",
			Help: "Config lookups by the level of the file found (branch, repo, org, global, none).",
		}, []string{"level"}),
	}
	if err := env.Registry.Register(s.lookups); err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	// Registered without a method so the verifier answers a GET with its
	// reason instead of the mux's bare 405.
	mux.Handle("/{$}", v.Middleware(http.HandlerFunc(s.find)))
	mux.HandleFunc("POST /hook", s.hook)
	return &server.Service{Name: Name, Handler: mux}, nil
}

// lookupRequest is the part of Drone's config request (drone-go's
// config.Request) the lookup reads. Decoding only these fields keeps the
// hot path cheap: Drone asks once per build and again for every stage.
type lookupRequest struct {
	Repo struct {
		Namespace string `json:"namespace"`
		Name      string `json:"name"`
		Slug      string `json:"slug"`
	} `json:"repo"`
	Build struct {
		Event  string `json:"event"`
		Target string `json:"target"`
	} `json:"build"`
}

// find answers one Drone config request.
func (s *service) find(w http.ResponseWriter, r *http.Request) {
	var req lookupRequest
	if err := wire.Decode(r, &req); err != nil {
		httperr.Write(w, r, err)
		return
	}
	ns, name := repoName(req.Repo.Namespace, req.Repo.Name, req.Repo.Slug)
	branch := req.Build.Target
	reqlog.Annotate(r.Context(), slog.String("repo", ns+"/"+name), slog.String("branch", branch), slog.String("event", req.Build.Event))
	f, err := find(r.Context(), s.repo, s.opts.Extensions, ns, name, branch)
	if err != nil {
		httperr.Write(w, r, err)
		return
	}
	s.lookups.WithLabelValues(string(f.Level)).Inc()
	if f.Level == LevelNone {
		if s.opts.Exclusive {
			httperr.Write(w, r, httperr.New(httperr.NotFound,
				"no pipeline for %s/%s in the config repository, and Hangar is exclusive: add %s/%s/default.yaml or a default", ns, name, ns, name))
			return
		}
		reqlog.Annotate(r.Context(), slog.String("found", string(LevelNone)))
		w.WriteHeader(http.StatusNoContent)
		return
	}
	reqlog.Annotate(r.Context(), slog.String("file", f.Path), slog.String("found", string(f.Level)))
	kind := wire.ScriptKind(f.Path)
	wire.WriteJSON(w, http.StatusOK, drone.Config{Data: wire.MarkScript(kind, f.Path, f.Data), Kind: kind})
}

// repoName returns the namespace and name, from the slug when a sender
// leaves the separate fields empty.
func repoName(namespace, name, slug string) (string, string) {
	if namespace != "" || name != "" {
		return namespace, name
	}
	if i := strings.LastIndexByte(slug, '/'); i >= 0 {
		return slug[:i], slug[i+1:]
	}
	return "", slug
}
