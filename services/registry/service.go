// Package registry is Hangar's registry extension
// (DRONE_REGISTRY_ENDPOINT): it returns the registry credentials, from
// Vault paths or a file, whose repository, branch and event globs match the
// build, and only those (Drone's official plugin hands every credential to
// every repository). It also answers Drone's registry-through-secret
// request (a secret-typed request for a name in image_pull_secrets) with a
// docker config.json of the same matching entries.
package registry

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"mime"
	"net/http"

	"github.com/drone/drone-go/drone"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hangar-ci/hangar/shared/aesgcm"
	"github.com/hangar-ci/hangar/shared/envconf"
	"github.com/hangar-ci/hangar/shared/httperr"
	"github.com/hangar-ci/hangar/shared/reqlog"
	"github.com/hangar-ci/hangar/shared/scope"
	"github.com/hangar-ci/hangar/shared/server"
	"github.com/hangar-ci/hangar/shared/vaultkv"
	"github.com/hangar-ci/hangar/shared/wire"
)

// Name is the service's name and path prefix.
const Name = "registry"

type service struct {
	source   source
	key      *aesgcm.Key
	released *prometheus.CounterVec
}

// FromEnv builds the service from the environment.
func FromEnv(lookup envconf.Lookup, env server.Env) (*server.Service, error) {
	opts, err := OptionsFromEnv(lookup)
	if err != nil {
		return nil, err
	}
	return New(opts, env)
}

// New returns the registry service over the file and, when configured,
// Vault paths.
func New(opts Options, env server.Env) (*server.Service, error) {
	if env.Repo == nil {
		return nil, errors.New("registry: no config repository")
	}
	v, err := opts.Signature.Verifier()
	if err != nil {
		return nil, err
	}
	if opts.File == "" {
		opts.File = DefaultFilePath
	}
	key, _ := aesgcm.KeyFrom(opts.Signature.Secret) // a short secret only refuses encrypted requests
	svc := &server.Service{Name: Name}
	file := newFileSource(env.Repo, opts.File, env.Logger.With(slog.String("service", Name)))
	srcs := sources{file}
	svc.Ready = file.file.Ready
	if opts.Vault.Addr != "" && len(opts.VaultPaths) > 0 {
		logger := env.Logger.With(slog.String("service", Name))
		vc, err := vaultkv.New(opts.Vault, logger)
		if err != nil {
			return nil, err
		}
		srcs = append(srcs, vaultSource{vault: vc, paths: opts.VaultPaths, logger: logger})
		svc.Ready, svc.Run = server.AllReady(file.file.Ready, vc.Ready), vc.Run
	}
	s := &service{
		source: srcs,
		key:    key,
		released: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hangar_registry_requests_total",
			Help: "Registry requests by kind (list, dockerconfig) and outcome.",
		}, []string{"kind", "outcome"}),
	}
	if err := env.Registry.Register(s.released); err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/{$}", v.Middleware(http.HandlerFunc(s.serve)))
	svc.Handler = mux
	return svc, nil
}

// serve answers by the Accept media type: a registry list, or a secret
// request for a docker config.json.
func (s *service) serve(w http.ResponseWriter, r *http.Request) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Accept")); mt == wire.SecretV1 {
		s.dockerConfig(w, r)
		return
	}
	s.list(w, r)
}

// matching returns the entries b may use.
func (s *service) matching(r *http.Request, b scope.Build) ([]entry, error) {
	all, err := s.source.Entries(r.Context())
	if err != nil {
		return nil, httperr.Wrap(httperr.Unavailable, err, "registry credentials unavailable: %v", err)
	}
	var out []entry
	for _, e := range all {
		if err := scope.Check(b, e.Rule); err != nil {
			reqlog.From(r.Context()).Debug("registry entry not released", slog.String("address", e.Address), slog.String("reason", err.Error()))
			continue
		}
		out = append(out, e)
	}
	return out, nil
}

func (s *service) list(w http.ResponseWriter, r *http.Request) {
	var req wire.Subject
	if err := wire.Decode(r, &req); err != nil {
		s.fail(w, r, "list", "invalid", err)
		return
	}
	b := scope.FromSubject(req)
	reqlog.Annotate(r.Context(), slog.String("repo", b.Repo), slog.String("event", b.Event), slog.String("branch", b.Target))
	es, err := s.matching(r, b)
	if err != nil {
		s.fail(w, r, "list", "error", err)
		return
	}
	out := make([]*drone.Registry, 0, len(es))
	addrs := make([]string, 0, len(es))
	for _, e := range es {
		out = append(out, &drone.Registry{Address: e.Address, Username: e.Username, Password: e.Password, Email: e.Email})
		addrs = append(addrs, e.Address)
	}
	reqlog.Annotate(r.Context(), slog.Any("registries", addrs))
	if err := aesgcm.WriteJSON(w, r, s.key, out); err != nil {
		s.fail(w, r, "list", "error", httperr.Wrap(httperr.Internal, err, "cannot encrypt the answer: %v", err))
		return
	}
	s.released.WithLabelValues("list", "ok").Inc()
}

// dockerConfig answers Drone's registry-through-secret request: the secret
// named in image_pull_secrets, as a docker config.json of the entries this
// build may use; none is a 404, as for any missing secret.
func (s *service) dockerConfig(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name string `json:"name"`
		wire.Subject
	}
	if err := wire.Decode(r, &req); err != nil {
		s.fail(w, r, "dockerconfig", "invalid", err)
		return
	}
	b := scope.FromSubject(req.Subject)
	reqlog.Annotate(r.Context(), slog.String("repo", b.Repo), slog.String("event", b.Event),
		slog.String("branch", b.Target), slog.String("secret_name", req.Name))
	es, err := s.matching(r, b)
	if err != nil {
		s.fail(w, r, "dockerconfig", "error", err)
		return
	}
	if len(es) == 0 {
		s.fail(w, r, "dockerconfig", "none", httperr.New(httperr.NotFound, "secret %q: no registry credentials for this build", req.Name))
		return
	}
	data, err := dockerConfigJSON(es)
	if err != nil {
		s.fail(w, r, "dockerconfig", "error", httperr.Wrap(httperr.Internal, err, "cannot encode docker config"))
		return
	}
	out := drone.Secret{Name: req.Name, Data: data, Pull: true, PullRequest: true, Fork: true}
	if err := aesgcm.WriteJSON(w, r, s.key, out); err != nil {
		s.fail(w, r, "dockerconfig", "error", httperr.Wrap(httperr.Internal, err, "cannot encrypt the answer: %v", err))
		return
	}
	s.released.WithLabelValues("dockerconfig", "ok").Inc()
}

// dockerConfigJSON renders entries as ~/.docker/config.json; a later entry
// for the same address does not replace an earlier one.
func dockerConfigJSON(es []entry) (string, error) {
	type auth struct {
		Auth  string `json:"auth"`
		Email string `json:"email,omitempty"`
	}
	auths := map[string]auth{}
	for _, e := range es {
		if _, ok := auths[e.Address]; ok {
			continue
		}
		auths[e.Address] = auth{Auth: base64.StdEncoding.EncodeToString([]byte(e.Username + ":" + e.Password)), Email: e.Email}
	}
	b, err := json.Marshal(map[string]any{"auths": auths})
	return string(b), err
}

func (s *service) fail(w http.ResponseWriter, r *http.Request, kind, outcome string, err error) {
	s.released.WithLabelValues(kind, outcome).Inc()
	reqlog.Annotate(r.Context(), slog.String("decision", outcome))
	httperr.Write(w, r, err)
}
