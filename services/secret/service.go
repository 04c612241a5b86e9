// Package secret is Hangar's secret extension (the runner's
// DRONE_SECRET_PLUGIN_ENDPOINT): it reads a secret from Vault (or, for
// development, a YAML file) and hands it over only when the secret's own
// drone-vault restrictions and the central policy both allow this build.
package secret

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hangar-ci/hangar/shared/aesgcm"
	"github.com/hangar-ci/hangar/shared/envconf"
	"github.com/hangar-ci/hangar/shared/server"
	"github.com/hangar-ci/hangar/shared/vaultkv"
)

// Name is the service's name and path prefix.
const Name = "secret"

// store reads a secret by path; errors wrap vaultkv.ErrNotFound,
// ErrInvalidPath or ErrUnavailable.
type store interface {
	Read(ctx context.Context, path string) (*vaultkv.Secret, error)
}

type service struct {
	store   store
	policy  *policySource
	key     *aesgcm.Key // nil when the shared secret is too short to encrypt
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

// New returns the secret service: Vault when opts.Vault.Addr is set, the
// file backend otherwise.
func New(opts Options, env server.Env) (*server.Service, error) {
	if env.Repo == nil {
		return nil, errors.New("secret: no config repository (it holds the central policy)")
	}
	v, err := opts.Signature.Verifier()
	if err != nil {
		return nil, err
	}
	if opts.PolicyPath == "" {
		opts.PolicyPath = DefaultPolicyPath
	}
	if opts.File == "" {
		opts.File = DefaultFilePath
	}
	key, _ := aesgcm.KeyFrom(opts.Signature.Secret) // a short secret only refuses encrypted requests
	s := &service{
		policy: newPolicySource(env.Repo, opts.PolicyPath, env.Logger.With(slog.String("service", Name))),
		key:    key,
		lookups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hangar_secret_lookups_total",
			Help: "Secret lookups by outcome (released, denied, missing, invalid, error).",
		}, []string{"outcome"}),
	}
	if err := env.Registry.Register(s.lookups); err != nil {
		return nil, err
	}
	svc := &server.Service{Name: Name}
	if opts.Vault.Addr != "" {
		vc, err := vaultkv.New(opts.Vault, env.Logger.With(slog.String("service", Name)))
		if err != nil {
			return nil, err
		}
		s.store = vc
		svc.Ready = server.AllReady(vc.Ready, s.policy.file.Ready)
		svc.Run = vc.Run
	} else {
		fs := newFileStore(env.Repo, opts.File, env.Logger.With(slog.String("service", Name)))
		s.store = fs
		svc.Ready = server.AllReady(fs.file.Ready, s.policy.file.Ready)
		env.Logger.Warn("secret: no VAULT_ADDR, serving secrets from the file backend (development only)", slog.String("file", opts.File))
	}
	mux := http.NewServeMux()
	// Registered without a method so the verifier answers a GET with its
	// reason instead of the mux's bare 405.
	mux.Handle("/{$}", v.Middleware(http.HandlerFunc(s.find)))
	svc.Handler = mux
	return svc, nil
}
