// Package webhook is Hangar's webhook service (DRONE_WEBHOOK_ENDPOINT): it
// stores each of the Drone server's outbound webhooks before answering,
// then delivers it to the sinks of the config repository's sinks file with
// retries, backoff and a dead-letter list, and adds the build:completed
// event Drone documents but never sends.
package webhook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hangar-ci/hangar/shared/envconf"
	"github.com/hangar-ci/hangar/shared/server"
	"github.com/hangar-ci/hangar/shared/sqldb"
)

// Name is the service's name and path prefix.
const Name = "webhook"

type service struct {
	opts     Options
	store    store
	sinks    *sinkSet
	dispatch *dispatcher
	metrics  *metrics
	logger   *slog.Logger
}

// FromEnv builds the service from the environment.
func FromEnv(lookup envconf.Lookup, env server.Env) (*server.Service, error) {
	opts, err := OptionsFromEnv(lookup)
	if err != nil {
		return nil, err
	}
	return New(opts, env)
}

// New opens and migrates the event store and returns the service. Its Run
// delivers; its Handler takes events at POST / and serves the API under
// /api/.
func New(opts Options, env server.Env) (*server.Service, error) {
	if env.Repo == nil {
		return nil, errors.New("webhook: no config repository to read sinks from")
	}
	v, err := opts.Signature.Verifier()
	if err != nil {
		return nil, err
	}
	if opts.SinksFile == "" {
		opts.SinksFile = DefaultSinksFile
	}
	if opts.Poll <= 0 {
		opts.Poll = time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db := opts.DB
	if db == nil {
		if db, err = openDB(ctx, opts.Driver, opts.DSN); err != nil {
			return nil, err
		}
	}
	st, err := openStore(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("webhook store: %w", err)
	}
	m, err := newMetrics(env.Registry, st)
	if err != nil {
		return nil, err
	}
	sinks := newSinkSet(env.Repo, opts.SinksFile, opts.Lookup, env.Logger)
	sinks.refresh(ctx)
	s := &service{
		opts:    opts,
		store:   st,
		sinks:   sinks,
		metrics: m,
		logger:  env.Logger,
		dispatch: &dispatcher{
			store: st, sinks: sinks, client: newClient(), logger: env.Logger.With(slog.String("service", Name)),
			poll: opts.Poll, retention: opts.Retention, metrics: m, owned: db.Dialect == sqldb.SQLite,
		},
	}
	mux := http.NewServeMux()
	// Registered without a method so the verifier answers a GET with its
	// reason instead of the mux's bare 405.
	mux.Handle("/{$}", v.Middleware(http.HandlerFunc(s.intake)))
	s.routes(mux)
	return &server.Service{Name: Name, Handler: mux, Ready: s.ready, Run: s.dispatch.Run}, nil
}

func (s *service) ready(ctx context.Context) error {
	if err := s.store.Ping(ctx); err != nil {
		return fmt.Errorf("event store: %w", err)
	}
	return s.sinks.Ready(ctx)
}

// openDB opens the store's database, creating a SQLite file's folder.
func openDB(ctx context.Context, driver, dsn string) (*sqldb.DB, error) {
	if isSQLite(driver) {
		path, _, _ := strings.Cut(strings.TrimPrefix(dsn, "file:"), "?")
		if path != "" && path != ":memory:" {
			if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
				return nil, fmt.Errorf("webhook store folder: %w", err)
			}
		}
	}
	db, err := sqldb.Open(ctx, driver, dsn)
	if err != nil {
		return nil, fmt.Errorf("webhook store: %w", err)
	}
	return db, nil
}
