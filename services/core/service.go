// Package core is Hangar's core server: it receives GitHub and GitLab
// webhooks, runs Drone's trigger (drone-protocol.md §4) through the config,
// convert and validate extensions over their signed HTTP protocol, stores
// builds and stages, sets commit statuses, schedules stages and sends
// outbound webhooks; a token-protected REST API activates repositories,
// lists and shows builds, triggers custom builds, retries, promotes and
// rolls back, approves, declines and cancels, and takes runners' stage
// reports, which advance the build along its DAG.
package core

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/drone/drone-go/drone"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hangar-ci/hangar/services/core/auth"
	"github.com/hangar-ci/hangar/services/core/login"
	"github.com/hangar-ci/hangar/services/core/seal"
	"github.com/hangar-ci/hangar/services/core/store"
	"github.com/hangar-ci/hangar/services/core/web"
	"github.com/hangar-ci/hangar/shared/envconf"
	"github.com/hangar-ci/hangar/shared/httperr"
	"github.com/hangar-ci/hangar/shared/lru"
	"github.com/hangar-ci/hangar/shared/server"
	"github.com/hangar-ci/hangar/shared/sqldb"
	"github.com/hangar-ci/hangar/shared/wire"
)

// Name is the service's name and path prefix.
const Name = "core"

type service struct {
	opts    Options
	store   Store
	db      *store.Store // users, permissions, secrets, cron (api_*.go)
	seal    *seal.Sealer
	authn   *auth.Authenticator
	perms   *auth.Perms
	tokens  *login.Tokens // users' SCM tokens; nil without login
	log     *slog.Logger
	trigger *triggerer
	hooks   *prometheus.CounterVec
	runners *runners

	// life lets Run close the database only after in-flight requests end:
	// handlers hold it shared, shutdown takes it exclusively.
	life   sync.RWMutex
	closed bool
	// base ends with the service: every request's context ends with it,
	// so long polls and streams do not hold shutdown up.
	base context.Context
	stop context.CancelFunc
}

// FromEnv builds the core server from the environment.
func FromEnv(lookup envconf.Lookup, env server.Env) (*server.Service, error) {
	opts, err := OptionsFromEnv(lookup, env.Self)
	if err != nil {
		return nil, err
	}
	return New(opts, env)
}

// New opens the database (applying migrations) and returns the core
// server. The database is closed when the service's Run ends.
func New(opts Options, env server.Env) (*server.Service, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var lock *os.File
	if isSQLite(opts.DatabaseDriver) {
		if err := mkdirFor(opts.DatabaseDatasource); err != nil {
			return nil, err
		}
		var err error
		if lock, err = lockSQLite(opts.DatabaseDatasource); err != nil {
			return nil, err
		}
	}
	closeAll := func(db *sqldb.DB) {
		if db != nil {
			db.Close()
		}
		if lock != nil {
			lock.Close()
		}
	}
	db, err := sqldb.Open(ctx, opts.DatabaseDriver, opts.DatabaseDatasource)
	if err != nil {
		closeAll(nil)
		return nil, err
	}
	st, err := store.New(ctx, db)
	if err != nil {
		closeAll(db)
		return nil, err
	}
	s, err := newService(opts, env, st)
	if err != nil {
		closeAll(db)
		return nil, err
	}
	svc := s.service()
	log := env.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	svc.Run = func(ctx context.Context) error {
		reaped := make(chan struct{})
		go func() {
			defer close(reaped)
			s.reap(ctx, log)
		}()
		stopCron := s.runCron(ctx)
		<-ctx.Done()
		s.stop() // long polls and log streams end now
		<-reaped
		stopCron()
		s.life.Lock() // waits for the requests still running
		s.closed = true
		s.life.Unlock()
		err := db.Close()
		if lock != nil {
			lock.Close()
		}
		return err
	}
	return svc, nil
}

// NewWithStore returns the core server over an open store (tests and
// benchmarks share one).
func NewWithStore(opts Options, env server.Env, st Store) (*server.Service, error) {
	s, err := newService(opts, env, st)
	if err != nil {
		return nil, err
	}
	return s.service(), nil
}

func (s *service) service() *server.Service {
	return &server.Service{Name: Name, Handler: s.guard(s.routes()), Ready: s.ready, Root: true}
}

// ready fails when the database is unreachable or, with replicas, when
// this one's listener is down: it would miss the others' wake-ups.
func (s *service) ready(ctx context.Context) error {
	if s.base.Err() != nil {
		return errors.New("the core server is shutting down")
	}
	if err := s.store.Ping(ctx); err != nil {
		return err
	}
	if s.runners.pg != nil {
		return s.runners.pg.Ready(ctx)
	}
	return nil
}

// guard refuses requests once the service has shut down.
func (s *service) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.life.RLock()
		defer s.life.RUnlock()
		if s.closed {
			httperr.Write(w, r, httperr.New(httperr.Unavailable, "the core server is shutting down"))
			return
		}
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		defer context.AfterFunc(s.base, cancel)()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func newService(opts Options, env server.Env, st Store) (*service, error) {
	whole, ok := st.(interface{ Self() *store.Store })
	if !ok {
		return nil, fmt.Errorf("core: the store %T lacks users, secrets and cron (embed *store.Store)", st)
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	scms, err := newSCMs(opts)
	if err != nil {
		return nil, err
	}
	hc := newHTTPClient()
	link := opts.ServerProto + "://" + opts.ServerHost
	s := &service{
		opts:  opts,
		store: st,
		db:    whole.Self(),
		log:   logOrDefault(env.Logger),
		hooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hangar_core_hooks_total",
			Help: "SCM webhooks by outcome (build, error_build, skipped, ignored, unknown_repo, rejected, failed).",
		}, []string{"outcome"}),
		trigger: &triggerer{
			store:    st,
			config:   configChain(opts, hc, scms),
			convert:  convertChain(opts, hc),
			validate: validateChain(opts, hc),
			scms:     scms,
			webhook:  webhookFor(opts, hc, link),
			statuses: &statusSender{scms: scms, name: opts.StatusName, link: link, disabled: opts.StatusDisabled},
			paths:    newPathFilter(scms, st, opts.CacheSize),
			now:      time.Now,
		},
	}
	s.base, s.stop = context.WithCancel(context.Background())
	if s.runners, err = newRunners(s, env.Logger); err != nil {
		s.stop()
		return nil, err
	}
	s.trigger.sched = s.runners.queue
	if err := s.initAuth(); err != nil {
		return nil, err
	}
	seedCtx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.seedUsers(seedCtx); err != nil {
		return nil, err
	}
	if env.Registry != nil {
		if err := env.Registry.Register(s.hooks); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (s *service) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /hook", s.hook)
	s.loginRoutes(mux)
	api := http.NewServeMux()
	s.apiRoutes(api)
	s.runnerRoutes(api)
	if f := s.eventFeed(); f != nil {
		api.Handle("GET /api/stream", f)
	}
	mux.Handle("/api/", s.authn.Middleware(s.repoGate(api)))
	mux.Handle("/rpc/v2/", s.runners.rpc.Handler())
	// The pages take every other path; unsafe API calls made with the
	// session cookie must carry the pages' CSRF token.
	mux.Handle("/", web.New(web.Options{SessionCookie: auth.CookieName}))
	return web.Protect(auth.CookieName, mux)
}

// configChain is Drone's config chain: the extension (cached per commit)
// first, then the repository's own file.
func configChain(o Options, hc *http.Client, scms func(string) SCM) ConfigService {
	file := &repoFile{scms: scms}
	if o.ConfigEndpoint == "" {
		return combineConfig{file}
	}
	remote := &remoteConfig{c: newExtClient(o.ConfigEndpoint, o.ConfigSecret, wire.ConfigV1, hc), policy: policy(o.ConfigTimeout, o.Retries)}
	return combineConfig{&memoConfig{next: remote, cache: lru.New[string, *drone.Config](o.CacheSize, cacheBytes)}, file}
}

func convertChain(o Options, hc *http.Client) ConvertService {
	if o.ConvertEndpoint == "" {
		return noConvert{}
	}
	remote := &remoteConvert{c: newExtClient(o.ConvertEndpoint, o.ConvertSecret, wire.ConvertV1, hc), policy: policy(o.ConvertTimeout, o.Retries), suffix: o.ConvertExtension}
	return &memoConvert{next: remote, cache: lru.New[string, *drone.Config](o.CacheSize, cacheBytes)}
}

func validateChain(o Options, hc *http.Client) ValidateService {
	if o.ValidateEndpoint == "" {
		return noValidate{}
	}
	return &remoteValidate{c: newExtClient(o.ValidateEndpoint, o.ValidateSecret, wire.ValidateV1, hc), policy: policy(o.ValidateTimeout, o.Retries)}
}

func webhookFor(o Options, hc *http.Client, link string) WebhookSender {
	if len(o.WebhookEndpoints) == 0 {
		return noWebhook{}
	}
	// Drone's sender follows redirects; only the extension clients refuse them.
	whc := &http.Client{Transport: hc.Transport}
	return &webhookSender{
		endpoints: o.WebhookEndpoints, secret: o.WebhookSecret, events: o.WebhookEvents, hc: whc, timeout: time.Minute,
		system: &wire.System{Proto: o.ServerProto, Host: o.ServerHost, Link: link},
	}
}

// cacheBytes bounds each per-commit cache's memory beside its entry count.
const cacheBytes = 64 << 20

func policy(timeout time.Duration, retries int) callPolicy {
	return callPolicy{timeout: timeout, retries: retries, backoff: 100 * time.Millisecond}
}

// newSCMs returns the SCM for a repository kind; kinds without API access
// get one that fails every call.
func newSCMs(o Options) (func(string) SCM, error) {
	hc := &http.Client{Timeout: o.SCMTimeout, Transport: newHTTPClient().Transport}
	m := map[string]SCM{}
	if o.GitHubURL != "" || o.GitHubToken != "" {
		g, err := newGitHubSCM(githubAPI(o.GitHubURL), o.GitHubToken, hc)
		if err != nil {
			return nil, err
		}
		m["github"] = g
	}
	if o.GitLabURL != "" {
		g, err := newGitLabSCM(o.GitLabURL, o.GitLabToken, hc)
		if err != nil {
			return nil, err
		}
		m["gitlab"] = g
	}
	return func(kind string) SCM {
		if s, ok := m[kind]; ok {
			return s
		}
		return noSCM{kind}
	}, nil
}

// mkdirFor creates the directory of a SQLite file DSN.
func mkdirFor(dsn string) error {
	p := strings.TrimPrefix(dsn, "file:")
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	if p == "" || strings.Contains(p, ":memory:") {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		return fmt.Errorf("database directory: %w", err)
	}
	return nil
}
