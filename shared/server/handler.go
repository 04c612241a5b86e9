package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hangar-ci/hangar/shared/tree"
)

// Env is what every service gets from the binary.
type Env struct {
	Logger   *slog.Logger
	Registry *prometheus.Registry
	// Repo is the central config repository, shared by every service of
	// the process.
	Repo tree.Tree
	// Self is this process's own base URL (http://127.0.0.1:port) when
	// `hangar all` runs every service together, so the core server can call
	// the extensions over loopback; empty when a service runs alone.
	Self string
}

// NewEnv returns an Env with a fresh metrics registry that also exports
// the Go runtime and process collectors.
func NewEnv(logger *slog.Logger) Env {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return Env{Logger: logger, Registry: reg}
}

// Handler returns the HTTP handler for services: each mounted at /<name>,
// and also at / when it runs alone or is a Root service (at most one should
// be). Operational endpoints /healthz, /readyz and /metrics are added.
func Handler(env Env, alone bool, services ...*Service) http.Handler {
	mux := http.NewServeMux()
	m := newMetrics(env.Registry)
	for _, s := range services {
		if s.Handler == nil {
			continue // background work only
		}
		h := instrument(s.Name, s.Handler, env.Logger, m)
		mount(mux, "/"+s.Name, h)
		if alone || s.Root {
			mux.Handle("/", h)
		}
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		status, body := readiness(r.Context(), services)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write(body)
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(env.Registry, promhttp.HandlerOpts{}))
	return mux
}

// readiness asks every service in parallel, each bounded by a timeout, and
// reports each state by name.
func readiness(ctx context.Context, services []*Service) (int, []byte) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	type result struct {
		name string
		err  error
	}
	results := make(chan result, len(services))
	for _, s := range services {
		go func() {
			var err error
			if s.Ready != nil {
				err = s.Ready(ctx)
			}
			results <- result{s.Name, err}
		}()
	}
	states := make(map[string]string, len(services))
	status := http.StatusOK
	for range services {
		r := <-results
		states[r.name] = "ok"
		if r.err != nil {
			states[r.name] = r.err.Error()
			status = http.StatusServiceUnavailable
		}
	}
	body, _ := json.Marshal(states)
	return status, append(body, '\n')
}
