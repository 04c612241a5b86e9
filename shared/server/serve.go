package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// Timeouts bound every connection; a slow client cannot hold a goroutine.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = time.Minute
	writeTimeout      = 5 * time.Minute // a core hook waits on several extensions
	idleTimeout       = 2 * time.Minute
	shutdownTimeout   = 30 * time.Second
)

// NewLogger returns the JSON logger every service writes with.
func NewLogger(w io.Writer, debug bool) *slog.Logger {
	level := slog.LevelInfo
	if debug {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}

// Listen opens the listener before anything else starts, so an address in
// use fails fast and port 0 hands tests a free port.
func Listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	return ln, nil
}

// Serve serves h on ln and runs every service's background work until ctx
// ends, then shuts down gracefully: in-flight requests finish, background
// work is cancelled and awaited. A background failure stops everything.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, logger *slog.Logger, services ...*Service) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	var wg sync.WaitGroup
	for _, s := range services {
		if s.Run == nil {
			continue
		}
		wg.Go(func() {
			if err := s.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
				cancel(fmt.Errorf("%s: %w", s.Name, err))
			}
		})
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	logger.Info("listening", slog.String("addr", ln.Addr().String()))

	var err error
	select {
	case err = <-serveErr:
		cancel(err)
	case <-ctx.Done():
		logger.Info("shutting down")
		sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
		err = srv.Shutdown(sctx)
		scancel()
	}
	wg.Wait()
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return cause
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
