// Package convert is Hangar's converter extension
// (DRONE_CONVERT_PLUGIN_ENDPOINT): it runs Starlark and Jsonnet pipeline
// scripts and answers with the YAML they produce, converts Drone 0.8 and
// GitLab CI files when told to, or answers 204 for files it does not
// handle. Render is the same conversion without HTTP, for `hangar
// convert` and `hangar lint`.
package convert

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"runtime"
	"strconv"
	"strings"

	"github.com/drone/drone-go/drone"
	"github.com/drone/drone-go/plugin/converter"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hangar-ci/hangar/shared/envconf"
	"github.com/hangar-ci/hangar/shared/httperr"
	"github.com/hangar-ci/hangar/shared/httpsig"
	"github.com/hangar-ci/hangar/shared/lru"
	"github.com/hangar-ci/hangar/shared/pipeline/foreign"
	"github.com/hangar-ci/hangar/shared/reqlog"
	"github.com/hangar-ci/hangar/shared/scm"
	"github.com/hangar-ci/hangar/shared/server"
	"github.com/hangar-ci/hangar/shared/tree"
	"github.com/hangar-ci/hangar/shared/wire"
)

// Name is the service's name and path prefix.
const Name = "convert"

type service struct {
	opts        Options
	config      tree.Tree
	results     resultCache
	bodies      *lru.Cache[string, seenBody] // request body hash → result key
	engine      engine
	slots       chan struct{} // bounds conversions running at once
	hits        prometheus.Counter
	misses      prometheus.Counter
	conversions *prometheus.CounterVec
}

// FromEnv builds the service from the environment.
func FromEnv(lookup envconf.Lookup, env server.Env) (*server.Service, error) {
	opts, err := OptionsFromEnv(lookup)
	if err != nil {
		return nil, err
	}
	if opts.RepoFiles, err = repoFilesFromEnv(lookup); err != nil {
		return nil, err
	}
	return New(opts, env)
}

// New returns the convert service, loading library modules from env.Repo.
func New(opts Options, env server.Env) (*server.Service, error) {
	if env.Repo == nil {
		return nil, errors.New("convert: no config repository")
	}
	if err := checkRepoLoads(opts.RepoLoads); err != nil {
		return nil, err
	}
	v, err := opts.Signature.Verifier()
	if err != nil {
		return nil, err
	}
	s := &service{
		opts:    opts,
		config:  env.Repo,
		results: resultCache{lru.New[string, *cached](0, opts.CacheSize)},
		bodies:  lru.New[string, seenBody](0, opts.CacheSize/16),
		slots:   make(chan struct{}, concurrency(opts.Concurrency)),
		engine: engine{
			mods:   newModuleCache(opts.ModuleCacheSize),
			worker: newWorker(opts.JsonnetWorker, opts.JsonnetMemory, runtime.NumCPU()),
			mem:    newMemWatch(opts.MemoryLimit, memoryReserve(opts)),
		},
		conversions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hangar_convert_conversions_total",
			Help: "Conversions run (cache misses) by kind and outcome (ok, error).",
		}, []string{"kind", "outcome"}),
	}
	lookups := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hangar_convert_cache_total",
		Help: "Conversion result cache lookups by result (hit, miss).",
	}, []string{"result"})
	// Resolved once so a hit does not look the label up.
	s.hits, s.misses = lookups.WithLabelValues("hit"), lookups.WithLabelValues("miss")
	cacheBytes := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "hangar_convert_cache_bytes",
		Help: "Bytes held by the conversion result cache.",
	}, func() float64 { return float64(s.results.entries.Bytes()) })
	running := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "hangar_convert_running",
		Help: "Conversions running now (at most HANGAR_CONVERT_CONCURRENCY).",
	}, func() float64 { return float64(len(s.slots)) })
	for _, c := range []prometheus.Collector{lookups, s.conversions, cacheBytes, running} {
		if err := env.Registry.Register(c); err != nil {
			return nil, err
		}
	}
	mux := http.NewServeMux()
	// Registered without a method so the verifier answers a GET with its
	// reason instead of the mux's bare 405.
	var h http.Handler = http.HandlerFunc(s.convert)
	if opts.Paths {
		c, ok := opts.RepoFiles.(scm.Changer)
		if !ok {
			return nil, errors.New("convert: HANGAR_CONVERT_PATHS needs the SCM settings (HANGAR_SCM and its token) to list changed files")
		}
		h = &pathsFilter{changes: scm.NewChangeCache(c, 1024), next: h}
	}
	mux.Handle("/{$}", v.Middleware(h))
	return &server.Service{Name: Name, Handler: mux}, nil
}

// convert answers one Drone converter request.
func (s *service) convert(w http.ResponseWriter, r *http.Request) {
	// Drone sends byte-identical bodies for every stage of a build: those
	// are answered before decoding, which is most of a hit's cost.
	body, _ := httpsig.Body(r)
	bodyKey := rawKey(body)
	if seen, ok := s.bodies.Get(bodyKey); ok && r.Header.Get("Content-Type") == "application/json" {
		if e, ok := s.results.get(r.Context(), seen.key, s.config); ok {
			s.hits.Inc()
			reqlog.Annotate(r.Context(), slog.String("repo", seen.repo), slog.String("file", seen.file), slog.String("cache", "hit"))
			writeBody(w, e.body)
			return
		}
	}
	var req converter.Request
	if err := wire.Decode(r, &req); err != nil {
		httperr.Write(w, r, err)
		return
	}
	if s.opts.Formats {
		if res, err := foreign.Convert(req.Repo.Config, []byte(req.Config.Data), foreign.Options{DefaultBranch: req.Repo.Branch}); err != nil {
			httperr.Write(w, r, httperr.Wrap(httperr.Unprocessable, err, "%s", err.Error()))
			return
		} else if res != nil {
			reqlog.Annotate(r.Context(), slog.String("repo", repoSlug(req.Repo)), slog.String("convert", string(res.Format)), slog.Int("warnings", len(res.Warnings)))
			s.answer(w, r, string(res.YAML))
			return
		}
	}
	in, ok := s.input(&req)
	if !ok {
		reqlog.Annotate(r.Context(), slog.String("repo", repoSlug(req.Repo)), slog.String("convert", "none"))
		w.WriteHeader(http.StatusNoContent)
		return
	}
	reqlog.Annotate(r.Context(), slog.String("repo", repoSlug(req.Repo)), slog.String("file", in.Name), slog.String("kind", in.Kind))
	key := cacheKey(in)
	s.bodies.Add(bodyKey, seenBody{key, repoSlug(req.Repo), in.Name}, int64(len(bodyKey)+len(key)+len(in.Name)+64))
	if e, ok := s.results.get(r.Context(), key, s.config); ok {
		s.hits.Inc()
		reqlog.Annotate(r.Context(), slog.String("cache", "hit"))
		writeBody(w, e.body)
		return
	}
	s.misses.Inc()
	select {
	case s.slots <- struct{}{}:
		defer func() { <-s.slots }()
	case <-r.Context().Done():
		httperr.Write(w, r, httperr.New(httperr.Unavailable, "%s: all %d conversion slots stayed busy (HANGAR_CONVERT_CONCURRENCY)", in.Name, cap(s.slots)))
		return
	}
	gen, hasGen := generation(s.config)
	res, err := render(r.Context(), in, s.engine)
	if err != nil {
		s.conversions.WithLabelValues(in.Kind, "error").Inc()
		httperr.Write(w, r, err)
		return
	}
	s.conversions.WithLabelValues(in.Kind, "ok").Inc()
	answer, err := json.Marshal(drone.Config{Data: res.yaml})
	if err != nil {
		httperr.Write(w, r, httperr.Wrap(httperr.Internal, err, "cannot encode the answer"))
		return
	}
	answer = append(answer, '\n')
	s.results.put(key, res, answer, gen, hasGen)
	reqlog.Annotate(r.Context(), slog.String("cache", "miss"), slog.Int("bytes", len(res.yaml)),
		slog.Int("modules", len(res.deps)), slog.Uint64("steps", res.steps))
	writeBody(w, answer)
}

// answer writes converted YAML as Drone's converter answer.
func (s *service) answer(w http.ResponseWriter, r *http.Request, yaml string) {
	body, err := json.Marshal(drone.Config{Data: yaml})
	if err != nil {
		httperr.Write(w, r, httperr.Wrap(httperr.Internal, err, "cannot encode the answer"))
		return
	}
	writeBody(w, append(body, '\n'))
}

// concurrency is n, or twice the CPUs when unset.
// memoryReserve is the part of the memory limit the conversions that may
// run at once keep for the step each is in when the watch stops them.
func memoryReserve(o Options) int64 {
	return int64(concurrency(o.Concurrency)) * stepReserve(o.Limits.withDefaults())
}

func concurrency(n int) int {
	if n <= 0 {
		return 2 * runtime.NumCPU()
	}
	return n
}

func writeBody(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

// input decides whether the request is a script to convert: a config the
// config service marked as Starlark or Jsonnet, or a repository whose
// config path names one.
func (s *service) input(req *converter.Request) (Input, bool) {
	in := Input{
		Build:  req.Build,
		Repo:   req.Repo,
		Config: s.config,
		Limits: s.opts.Limits,
	}
	if kind, name, script, ok := wire.ParseScriptMark(req.Config.Data); ok {
		in.Kind, in.Name, in.Script, in.Central = kind, name, []byte(script), true
	} else {
		in.Kind = wire.ScriptKind(req.Repo.Config)
		if in.Kind != KindStarlark && in.Kind != KindJsonnet {
			return Input{}, false
		}
		in.Name = strings.TrimPrefix(req.Repo.Config, "/")
		in.Script = []byte(req.Config.Data)
	}
	slug := repoSlug(req.Repo)
	switch {
	case !mayLoadFromRepo(s.opts.RepoLoads, slug, req.Repo.Trusted):
		in.RepoFiles = denied{"load(\"//…\") from " + slug + " is not allowed: only " + strings.Join(s.opts.RepoLoads, ", ") + " repositories may load from themselves (HANGAR_CONVERT_REPO_LOADS)"}
	case s.opts.RepoFiles == nil:
		in.RepoFiles = denied{"load(\"//…\") needs an SCM client: set the GitHub or GitLab settings of the convert service"}
	default:
		in.RepoFiles = s.opts.RepoFiles
	}
	return in, true
}
