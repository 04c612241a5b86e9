package webhook

import (
	"context"
	"log/slog"
	"sync/atomic"

	"github.com/hangar-ci/hangar/shared/envconf"
	"github.com/hangar-ci/hangar/shared/tree"
)

// sinkSet holds the sinks of the config repository, reloaded on change. A
// broken file keeps the last good sinks and is reported by Ready.
type sinkSet struct {
	file *tree.Parsed[[]Sink]
	// current is what the worker loop last loaded: the intake routes with
	// it and never reads the file on a request.
	current atomic.Pointer[[]Sink]
}

func newSinkSet(repo tree.Tree, file string, lookup envconf.Lookup, logger *slog.Logger) *sinkSet {
	parse := func(b []byte) ([]Sink, error) { return parseSinks(b, lookup) }
	return &sinkSet{file: tree.NewParsed(repo, file, parse, tree.ParsedOptions[[]Sink]{
		Name:   "webhook sinks",
		Logger: logger,
		// No file: no sinks.
		IfMissing: func() ([]Sink, error) { return parse(nil) },
		Describe: func(sinks []Sink) []slog.Attr {
			names := make([]string, len(sinks))
			for i, k := range sinks {
				names[i] = k.Name
			}
			return []slog.Attr{slog.Any("sinks", names)}
		},
	})}
}

// Sinks returns the current sinks, and false while no valid sinks file has
// ever been read (the intake then refuses events rather than store them
// for nobody).
func (s *sinkSet) Sinks() ([]Sink, bool) {
	p := s.current.Load()
	if p == nil {
		return nil, false
	}
	return *p, true
}

// Ready reports a sinks file that failed to load.
func (s *sinkSet) Ready(ctx context.Context) error {
	return s.file.Ready(ctx)
}

// refresh re-reads the file when it may have changed and publishes the
// sinks to apply (the last good ones while it is broken).
func (s *sinkSet) refresh(ctx context.Context) {
	if sinks, err := s.file.Get(ctx); err == nil {
		s.current.Store(&sinks)
	}
}
