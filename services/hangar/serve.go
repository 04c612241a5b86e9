package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"

	"github.com/hangar-ci/hangar/shared/envconf"
	"github.com/hangar-ci/hangar/shared/server"
	"github.com/hangar-ci/hangar/shared/tree"
)

// serve runs the named services on DRONE_BIND until ctx ends. With alone,
// the single service also answers at /.
func serve(ctx context.Context, lookup envconf.Lookup, stdout io.Writer, alone bool, names ...string) error {
	ln, err := server.Listen(envconf.New(lookup).String(":3000", "DRONE_BIND"))
	if err != nil {
		return err
	}
	return serveOn(ctx, ln, lookup, stdout, alone, names...)
}

// serveOn runs the named services on ln until ctx ends; end-to-end tests
// call it with a port-0 listener to run `hangar all` in-process.
func serveOn(ctx context.Context, ln net.Listener, lookup envconf.Lookup, stdout io.Writer, alone bool, names ...string) error {
	defer ln.Close()
	r := envconf.New(lookup)
	debug := r.Bool(false, "DRONE_DEBUG")
	if err := r.Err(); err != nil {
		return err
	}
	logger := server.NewLogger(stdout, debug)

	env := server.NewEnv(logger)
	repo, err := tree.FromEnv(lookup, logger)
	if err != nil {
		return fmt.Errorf("config repository: %w", err)
	}
	env.Repo = repo.Tree
	if !alone {
		env.Self = "http://" + loopback(ln.Addr())
	}
	services := []*server.Service{{Name: "repo", Ready: repo.Ready, Run: repo.Run}}
	var errs []error
	for _, name := range names {
		build, _ := builderFor(name)
		s, err := build(lookup, env)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			continue
		}
		services = append(services, s)
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	logger.Info("starting", slog.Any("services", names), slog.String("repo", repo.Description))
	return server.Serve(ctx, ln, server.Handler(env, alone, services...), logger, services...)
}

// loopback returns the address at which this process reaches itself.
func loopback(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	return net.JoinHostPort("127.0.0.1", fmt.Sprint(tcp.Port))
}
