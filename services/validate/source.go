package validate

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/hangar-ci/hangar/shared/tree"
)

// policySource keeps the policy file of the config repository parsed: it
// re-parses only when the file changed, and keeps the last good policy when
// a change breaks it. With no good policy ever loaded it fails closed.
type policySource struct {
	file *tree.Parsed[*Policy]
}

func newPolicySource(repo tree.Tree, path string, logger *slog.Logger) *policySource {
	return &policySource{file: tree.NewParsed(repo, path, ParsePolicy, tree.ParsedOptions[*Policy]{
		Name:   "policy",
		Logger: logger,
		// No policy file: Drone's lint only.
		IfMissing: func() (*Policy, error) { return ParsePolicy(nil) },
		Describe:  func(p *Policy) []slog.Attr { return []slog.Attr{slog.Int("rules", len(p.Rules))} },
	})}
}

// get returns the policy to apply, or an error when none valid exists.
func (s *policySource) get(ctx context.Context) (*Policy, error) {
	p, err := s.file.Get(ctx)
	if err != nil {
		return nil, fmt.Errorf("no valid policy: %w", err)
	}
	return p, nil
}

// ready fails while the current policy file is broken, even when a last
// good one is still applied, so operators see it on /readyz.
func (s *policySource) ready(ctx context.Context) error {
	if _, err := s.get(ctx); err != nil {
		return err
	}
	if err := s.file.Ready(ctx); err != nil {
		return fmt.Errorf("policy broken, last good one applied: %w", err)
	}
	return nil
}
