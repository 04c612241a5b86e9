// Package woodpecker serves Woodpecker CI's config, secret and registry
// extensions (WOODPECKER_CONFIG_EXTENSION_ENDPOINT, …_SECRET_…,
// …_REGISTRY_…) from the same Hangar deployment that serves Drone.
//
// Requests are verified as Woodpecker signs them (shared/msgsig, RFC 9421),
// mapped onto Drone's request for the same build, and answered by calling
// Hangar's own Drone endpoints: the config lookup, Starlark and Jsonnet
// rendering, and secret and registry scoping live in those services alone.
package woodpecker

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hangar-ci/hangar/shared/envconf"
	"github.com/hangar-ci/hangar/shared/msgsig"
	"github.com/hangar-ci/hangar/shared/server"
	"github.com/hangar-ci/hangar/shared/tree"
)

// Name is the service's name and path prefix.
const Name = "woodpecker"

type service struct {
	opts    Options
	hangar  *hangarClient
	mark    marker
	secrets *tree.Parsed[[]secretEntry]
	answers *prometheus.CounterVec
}

// FromEnv builds the service from the environment.
func FromEnv(lookup envconf.Lookup, env server.Env) (*server.Service, error) {
	opts, err := OptionsFromEnv(lookup, env.Self)
	if err != nil {
		return nil, err
	}
	return New(opts, env)
}

// New returns the Woodpecker endpoints POST /config, /secret and /registry.
// Without a public key they are off: `hangar all` then answers them with a
// 404 saying so, and `hangar woodpecker` refuses to start.
func New(opts Options, env server.Env) (*server.Service, error) {
	if opts.PublicKey == "" {
		if env.Self == "" {
			return nil, errors.New("woodpecker: HANGAR_WOODPECKER_PUBLIC_KEY must be set: the Woodpecker server's public key (PEM, a PEM file, or its /api/signature/public-key URL)")
		}
		off := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "Woodpecker endpoints are off: set HANGAR_WOODPECKER_PUBLIC_KEY", http.StatusNotFound)
		})
		return &server.Service{Name: Name, Handler: off}, nil
	}
	if env.Repo == nil {
		return nil, errors.New("woodpecker: no config repository (it holds the secrets file)")
	}
	logger := env.Logger.With(slog.String("service", Name))
	svc := &server.Service{Name: Name}
	keys, err := keySource(opts.PublicKey, logger, svc, env.Self == "")
	if err != nil {
		return nil, fmt.Errorf("HANGAR_WOODPECKER_PUBLIC_KEY: %w", err)
	}
	v, err := msgsig.NewVerifier(keys, msgsig.WithWindow(opts.Past, opts.Future), msgsig.WithMaxBody(opts.MaxBody))
	if err != nil {
		return nil, err
	}
	s := &service{
		opts:   opts,
		hangar: &hangarClient{base: opts.Hangar, secrets: opts.Secrets, http: &http.Client{Timeout: 60 * time.Second}},
		mark:   marker{key: []byte(opts.MarkSecret)},
		secrets: tree.NewParsed(env.Repo, opts.SecretsPath, parseSecretEntries, tree.ParsedOptions[[]secretEntry]{
			Name:      "Woodpecker secrets file",
			Logger:    logger,
			IfMissing: func() ([]secretEntry, error) { return nil, nil },
			Strict:    true,
			Describe:  func(es []secretEntry) []slog.Attr { return []slog.Attr{slog.Int("secrets", len(es))} },
		}),
	}
	s.answers = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hangar_woodpecker_answers_total",
		Help: "Woodpecker answers by endpoint and outcome (config: central, repository scripts, none, restart; secret: released, withheld per secret; registry: released per entry).",
	}, []string{"endpoint", "outcome"})
	if err := env.Registry.Register(s.answers); err != nil {
		return nil, err
	}
	svc.Ready = server.AllReady(svc.Ready, s.secrets.Ready)
	mux := http.NewServeMux()
	// Registered without a method so the verifier answers a GET with its
	// reason instead of the mux's bare 405.
	mux.Handle("/config", v.Middleware(http.HandlerFunc(s.config)))
	mux.Handle("/secret", v.Middleware(http.HandlerFunc(s.secret)))
	mux.Handle("/registry", v.Middleware(http.HandlerFunc(s.registry)))
	svc.Handler = mux
	return svc, nil
}

// keySource reads the public key setting: a URL is fetched (at start by
// svc.Run, and again on failures), PEM text or a PEM file is read once.
// Alone, the service is not ready without a key; in `hangar all` a
// Woodpecker server that is down must not take the Drone services out of
// a load balancer, so readiness ignores it (requests get a 503 meanwhile).
func keySource(setting string, logger *slog.Logger, svc *server.Service, alone bool) (msgsig.Keys, error) {
	if strings.HasPrefix(setting, "https://") || strings.HasPrefix(setting, "http://") {
		f := msgsig.NewFetched(setting, nil, logger)
		svc.Run = f.Run
		if alone {
			svc.Ready = f.Ready
		}
		return f, nil
	}
	pemText := []byte(setting)
	if !strings.HasPrefix(setting, "-----BEGIN") {
		b, err := os.ReadFile(setting)
		if err != nil {
			return nil, fmt.Errorf("neither PEM, a URL nor a readable file: %w", err)
		}
		pemText = b
	}
	key, err := msgsig.ParsePublicKey(pemText)
	if err != nil {
		return nil, err
	}
	return msgsig.Static(key), nil
}
