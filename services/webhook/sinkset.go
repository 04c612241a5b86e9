package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/hangar-ci/hangar/shared/envconf"
	"github.com/hangar-ci/hangar/shared/tree"
)

// generational is a tree that says when its content moved (tree.Dir), so
// an unchanged sinks file is not even read again.
type generational interface {
	Generation() uint64
}

// sinkSet holds the sinks of the config repository, reloaded on change. A
// broken file keeps the last good sinks and is reported by Ready.
type sinkSet struct {
	repo   tree.Tree
	file   string
	lookup envconf.Lookup
	logger *slog.Logger

	mu     sync.Mutex // serialises refresh
	gen    uint64
	last   []byte
	loaded bool
	// parseErr is what the last bytes read produced.
	parseErr error
	current  atomic.Pointer[[]Sink]
	err      atomic.Pointer[error]
}

func newSinkSet(repo tree.Tree, file string, lookup envconf.Lookup, logger *slog.Logger) *sinkSet {
	return &sinkSet{repo: repo, file: file, lookup: lookup, logger: logger}
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
func (s *sinkSet) Ready(context.Context) error {
	if p := s.err.Load(); p != nil && *p != nil {
		return *p
	}
	return nil
}

// refresh re-reads the file when it may have changed and reports whether
// the sinks changed.
func (s *sinkSet) refresh(ctx context.Context) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g, ok := s.repo.(generational); ok {
		gen := g.Generation()
		if s.loaded && gen == s.gen {
			return false
		}
		s.gen = gen
	}
	b, err := s.repo.ReadFile(ctx, s.file)
	switch {
	case errors.Is(err, tree.ErrNotExist):
		b, err = nil, nil // no file: no sinks
	case err != nil:
		s.fail(fmt.Errorf("reading sinks file %s: %w", s.file, err))
		return false
	}
	if s.loaded && bytes.Equal(b, s.last) {
		// Same bytes: the state is the one they produced (a read error
		// in between has passed).
		pe := s.parseErr
		s.err.Store(&pe)
		return false
	}
	s.last, s.loaded = b, true
	sinks, err := parseSinks(b, s.lookup)
	if err != nil {
		s.parseErr = fmt.Errorf("sinks file %s: %w", s.file, err)
		s.fail(s.parseErr)
		return false
	}
	s.parseErr = nil
	s.err.Store(nil)
	s.current.Store(&sinks)
	names := make([]string, len(sinks))
	for i, k := range sinks {
		names[i] = k.Name
	}
	s.logger.Info("webhook sinks loaded", slog.String("file", s.file), slog.Any("sinks", names))
	return true
}

func (s *sinkSet) fail(err error) {
	s.err.Store(&err)
	s.logger.Error("webhook sinks not reloaded; keeping the last good ones", slog.String("error", err.Error()))
}
