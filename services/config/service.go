// Package config is Hangar's config extension (DRONE_YAML_ENDPOINT): it
// answers each build with the most specific pipeline file of the central
// config repository, or 204 so Drone reads the repository's own file.
package config

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/drone/drone-go/drone"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hangar-ci/hangar/shared/envconf"
	"github.com/hangar-ci/hangar/shared/httperr"
	"github.com/hangar-ci/hangar/shared/httpsig"
	"github.com/hangar-ci/hangar/shared/reqlog"
	"github.com/hangar-ci/hangar/shared/scm"
	"github.com/hangar-ci/hangar/shared/server"
	"github.com/hangar-ci/hangar/shared/tree"
	"github.com/hangar-ci/hangar/shared/wire"
)

// Name is the service's name and path prefix.
const Name = "config"

type service struct {
	opts    Options
	repo    tree.Tree
	mono    *monorepo
	answers *answers
	lookups *prometheus.CounterVec
	resends prometheus.Counter
}

// FromEnv builds the service from the environment.
func FromEnv(lookup envconf.Lookup, env server.Env) (*server.Service, error) {
	opts, err := OptionsFromEnv(lookup)
	if err != nil {
		return nil, err
	}
	c, err := scm.FromEnv(lookup)
	if err != nil {
		return nil, err
	}
	if rs, ok := c.(RepoSCM); ok {
		opts.RepoSCM = rs
	} else if opts.Tree {
		return nil, errors.New("config: HANGAR_CONFIG_TREE needs the SCM settings (HANGAR_SCM and its token) to read built repositories")
	}
	return New(opts, env)
}

// New returns the config service over env.Repo.
func New(opts Options, env server.Env) (*server.Service, error) {
	_, h, err := newService(opts, env)
	if err != nil {
		return nil, err
	}
	return &server.Service{Name: Name, Handler: h}, nil
}

func newService(opts Options, env server.Env) (*service, http.Handler, error) {
	if env.Repo == nil {
		return nil, nil, errors.New("config: no config repository")
	}
	v, err := opts.Signature.Verifier()
	if err != nil {
		return nil, nil, err
	}
	if len(opts.Extensions) == 0 {
		opts.Extensions = DefaultExtensions
	}
	s := &service{
		opts:    opts,
		repo:    env.Repo,
		mono:    &monorepo{scm: opts.RepoSCM, central: env.Repo, all: opts.Tree, maxDirs: max(opts.TreeMaxDirs, 1)},
		answers: newAnswers(env.Repo, 1024),
		lookups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hangar_config_lookups_total",
			Help: "Config lookups by the level of the file found (branch, repo, org, global, none).",
		}, []string{"level"}),
		resends: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hangar_config_resend_hits_total",
			Help: "Lookups answered from a byte-identical request of the last seconds (Drone asks once per stage).",
		}),
	}
	for _, c := range []prometheus.Collector{s.lookups, s.resends} {
		if err := env.Registry.Register(c); err != nil {
			return nil, nil, err
		}
	}
	mux := http.NewServeMux()
	// Registered without a method so the verifier answers a GET with its
	// reason instead of the mux's bare 405.
	mux.Handle("/{$}", v.Middleware(http.HandlerFunc(s.find)))
	mux.HandleFunc("POST /hook", s.hook)
	return s, mux, nil
}

// find answers one Drone config request.
func (s *service) find(w http.ResponseWriter, r *http.Request) {
	sum, _ := httpsig.BodySum(r)
	key, cacheable := s.answers.key(sum)
	if cacheable {
		if ans, ok := s.answers.get(key); ok {
			s.resends.Inc()
			s.write(w, r, ans)
			return
		}
	}
	ans, err := s.lookup(r)
	if err != nil {
		if ans != nil {
			reqlog.Annotate(r.Context(), slog.String("repo", ans.slug), slog.String("branch", ans.branch), slog.String("event", ans.event))
		}
		httperr.Write(w, r, err)
		return
	}
	if cacheable {
		s.answers.put(key, ans)
	}
	s.write(w, r, ans)
}

// lookup decodes the request and finds its pipeline. On an error after
// decoding, the answer still names the build for the log.
func (s *service) lookup(r *http.Request) (*answer, error) {
	var req wire.Subject
	if err := wire.Decode(r, &req); err != nil {
		return nil, err
	}
	ns, name := req.Repo.Names()
	ans := &answer{slug: ns + "/" + name, branch: req.Build.Target, event: req.Build.Event, status: http.StatusOK}
	// Names are checked before anything is read.
	if _, err := candidates(ns, name, req.Build.Target); err != nil {
		return ans, err
	}
	if data, dirs, ok, err := s.mono.lookup(r, ans.slug); err != nil || ok {
		if err != nil {
			return ans, err
		}
		ans.found = Found{Path: strings.Join(dirs, ","), Level: LevelTree}
		return ans, ans.encode(drone.Config{Data: string(data), Kind: "yaml"})
	}
	f, err := find(r.Context(), s.repo, s.opts.Extensions, ns, name, req.Build.Target)
	if err != nil {
		return ans, err
	}
	ans.found = f
	if f.Level == LevelNone {
		if s.opts.Exclusive {
			return ans, httperr.New(httperr.NotFound,
				"no pipeline for %s/%s in the config repository, and Hangar is exclusive: add %s/%s/default.yaml or a default", ns, name, ns, name)
		}
		ans.status = http.StatusNoContent
		return ans, nil
	}
	kind := wire.ScriptKind(f.Path)
	return ans, ans.encode(drone.Config{Data: wire.MarkScript(kind, f.Path, f.Data), Kind: kind})
}

// encode sets the answer's body.
func (a *answer) encode(c drone.Config) error {
	body, err := json.Marshal(c)
	if err != nil {
		return httperr.Wrap(httperr.Internal, err, "cannot encode the answer")
	}
	a.body = append(body, '\n')
	return nil
}

// write sends an answer and notes it in the access log and metrics.
func (s *service) write(w http.ResponseWriter, r *http.Request, ans *answer) {
	s.lookups.WithLabelValues(string(ans.found.Level)).Inc()
	reqlog.Annotate(r.Context(), slog.String("repo", ans.slug), slog.String("branch", ans.branch), slog.String("event", ans.event),
		slog.String("found", string(ans.found.Level)))
	if ans.found.Path != "" {
		reqlog.Annotate(r.Context(), slog.String("file", ans.found.Path))
	}
	if ans.status == http.StatusNoContent {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(ans.body)
}
