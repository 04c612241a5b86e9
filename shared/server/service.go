// Package server is the bootstrap every Hangar service shares: listener
// first, health, readiness and metrics endpoints, request ids and JSON access
// logs, server timeouts and graceful shutdown.
package server

import (
	"context"
	"errors"
	"net/http"
	"strings"
)

// Service is one Hangar service as the binary runs it.
type Service struct {
	// Name is the path prefix in `hangar all` ("/config") and the metrics label.
	Name string
	// Handler serves paths relative to the service's root; the Drone
	// extension endpoint is POST /.
	Handler http.Handler
	// Ready reports whether the service's backends are reachable; nil means
	// always ready.
	Ready func(context.Context) error
	// Run, when set, does background work (watching files, delivering
	// events) until ctx ends; Serve runs it beside the HTTP server.
	Run func(context.Context) error
	// Root, when set, also serves the service at / for every path no other
	// service claims, in `hangar all` too: the core server answers Drone's
	// own paths (/hook, /api/..., /rpc/v2/...) at the root of the listener,
	// where runners and the drone CLI expect them.
	Root bool
}

// mount serves h under /name and /name/..., with the prefix removed so the
// service sees the same paths as when it runs alone.
func mount(mux *http.ServeMux, prefix string, h http.Handler) {
	strip := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r2 := new(http.Request)
		*r2 = *r
		u := *r.URL
		u.Path = strings.TrimPrefix(r.URL.Path, prefix)
		if u.Path == "" {
			u.Path = "/"
		}
		u.RawPath = ""
		r2.URL = &u
		h.ServeHTTP(w, r2)
	})
	mux.Handle(prefix, strip)
	mux.Handle(prefix+"/", strip)
}

// AllReady combines readiness checks: each runs, nil ones are skipped, and
// every failure is reported, joined.
func AllReady(checks ...func(context.Context) error) func(context.Context) error {
	return func(ctx context.Context) error {
		var errs []error
		for _, c := range checks {
			if c == nil {
				continue
			}
			if err := c(ctx); err != nil {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	}
}
