package validate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/hangar-ci/hangar/shared/tree"
)

// generationer is a tree that says when its content changed (tree.Dir).
type generationer interface {
	Generation() uint64
}

// policySource keeps the policy file of the config repository parsed: it
// re-parses only when the file changed, and keeps the last good policy when
// a change breaks it. With no good policy ever loaded it fails closed.
type policySource struct {
	repo   tree.Tree
	path   string
	logger *slog.Logger

	mu     sync.Mutex
	gen    uint64
	loaded bool
	raw    []byte
	good   *Policy
	broken error
}

// get returns the policy to apply, or an error when none valid exists.
func (s *policySource) get(ctx context.Context) (*Policy, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, hasGen := s.repo.(generationer)
	var gen uint64
	if hasGen {
		gen = g.Generation()
		if s.loaded && gen == s.gen {
			return s.result()
		}
	}
	data, err := s.repo.ReadFile(ctx, s.path)
	switch {
	case errors.Is(err, tree.ErrNotExist):
		data = []byte{} // no policy file: Drone's lint only
	case err != nil:
		s.broken = fmt.Errorf("reading %s: %w", s.path, err)
		s.logger.Error("policy unreadable, keeping the last good one", slog.String("path", s.path), slog.String("error", err.Error()))
		return s.result()
	}
	s.gen = gen
	if s.loaded && bytes.Equal(data, s.raw) {
		return s.result()
	}
	s.loaded, s.raw = true, data
	p, err := ParsePolicy(data)
	if err != nil {
		s.broken = fmt.Errorf("%s: %w", s.path, err)
		s.logger.Error("policy broken, keeping the last good one", slog.String("path", s.path), slog.Bool("have_good", s.good != nil), slog.String("error", err.Error()))
		return s.result()
	}
	s.good, s.broken = p, nil
	s.logger.Info("policy loaded", slog.String("path", s.path), slog.Int("rules", len(p.Rules)))
	return s.result()
}

func (s *policySource) result() (*Policy, error) {
	if s.good == nil {
		return nil, fmt.Errorf("no valid policy: %w", s.broken)
	}
	return s.good, nil
}

// ready fails while the current policy file is broken, even when a last
// good one is still applied, so operators see it on /readyz.
func (s *policySource) ready(ctx context.Context) error {
	if _, err := s.get(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.broken != nil {
		return fmt.Errorf("policy broken, last good one applied: %w", s.broken)
	}
	return nil
}
