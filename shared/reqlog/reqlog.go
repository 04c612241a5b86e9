// Package reqlog carries a request-scoped slog.Logger and the attributes
// handlers learn while serving (repo slug, decision) so the access log line
// written at the end of the request can include them.
package reqlog

import (
	"context"
	"log/slog"
	"sync"
)

type ctxKey struct{}

type entry struct {
	logger *slog.Logger
	mu     sync.Mutex
	attrs  []slog.Attr
}

// discard is used when a context carries no logger (tests of inner code).
var discard = slog.New(slog.DiscardHandler)

// New returns a context carrying logger for this request.
func New(ctx context.Context, logger *slog.Logger) context.Context {
	// Room for a typical request's annotations, so Annotate rarely grows.
	return context.WithValue(ctx, ctxKey{}, &entry{logger: logger, attrs: make([]slog.Attr, 0, 12)})
}

// From returns the request's logger, enriched with every annotation so far.
func From(ctx context.Context) *slog.Logger {
	e, ok := ctx.Value(ctxKey{}).(*entry)
	if !ok {
		return discard
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.attrs) == 0 {
		return e.logger
	}
	args := make([]any, len(e.attrs))
	for i, a := range e.attrs {
		args[i] = a
	}
	return e.logger.With(args...)
}

// Annotate adds attributes to the request's logger and access log line,
// for example reqlog.Annotate(ctx, slog.String("repo", slug)).
func Annotate(ctx context.Context, attrs ...slog.Attr) {
	e, ok := ctx.Value(ctxKey{}).(*entry)
	if !ok {
		return
	}
	e.mu.Lock()
	e.attrs = append(e.attrs, attrs...)
	e.mu.Unlock()
}

// AppendAttrs appends the annotations made so far to dst.
func AppendAttrs(ctx context.Context, dst []slog.Attr) []slog.Attr {
	e, ok := ctx.Value(ctxKey{}).(*entry)
	if !ok {
		return dst
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return append(dst, e.attrs...)
}
