package tree

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// DefaultRecheck is how long a Parsed trusts an unchanged generation before
// reading the file again. Remote's generation moves only when a push hook
// arrives; without this a missed hook would leave a parsed file stale
// forever instead of for at most the Remote's TTL.
const DefaultRecheck = 30 * time.Second

// ParsedOptions says what a Parsed file means beyond its bytes.
type ParsedOptions[T any] struct {
	// Name is what the file is in log lines: "policy" gives "policy
	// loaded" and "policy broken, keeping the last good one".
	Name string
	// Logger receives those lines; nil discards them. Parse errors are
	// logged as they are, so a parse func over secrets must redact.
	Logger *slog.Logger
	// IfMissing gives the value of an absent file ("no rules"). Nil makes
	// an absent file broken like an unparsable one.
	IfMissing func() (T, error)
	// Strict makes Get fail while the current file is broken or
	// unreadable even though a last good value exists: for files whose
	// stale content must not apply (credentials, a policy that narrows
	// access). Otherwise the last good value keeps being served.
	Strict bool
	// Describe adds attributes to the "loaded" line (a rule count).
	Describe func(T) []slog.Attr
	// Recheck bounds how long an unchanged generation is trusted; zero
	// means DefaultRecheck, negative means until the generation moves.
	Recheck time.Duration
}

// Parsed keeps one file of a Tree parsed. It reads the file again only when
// the tree's generation moved (or Recheck passed; trees that are not
// Generational are read on every call) and parses again only when the bytes
// differ. A change that breaks the file keeps the last good value and is
// reported by Ready. It is safe for concurrent use; the value Get returns is
// shared and must not be modified.
type Parsed[T any] struct {
	tree  Tree
	path  string
	parse func([]byte) (T, error)
	opts  ParsedOptions[T]
	log   *slog.Logger
	now   func() time.Time

	mu sync.Mutex
	// gen and readAt describe the last successful read; fresh says they
	// are valid (false after a read error, so the next call retries).
	gen    uint64
	readAt time.Time
	fresh  bool
	// raw and missing are what that read found; seen says there was one.
	raw     []byte
	missing bool
	seen    bool
	// parseErr is what raw produced; broken is the current state (a
	// parse error or a read error).
	parseErr error
	broken   error
	good     T
	haveGood bool
}

// NewParsed returns a Parsed for the file at path of t. Nothing is read
// until the first Get or Ready.
func NewParsed[T any](t Tree, path string, parse func([]byte) (T, error), opts ParsedOptions[T]) *Parsed[T] {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.Name == "" {
		opts.Name = path
	}
	if opts.Recheck == 0 {
		opts.Recheck = DefaultRecheck
	}
	return &Parsed[T]{tree: t, path: path, parse: parse, opts: opts, log: log, now: time.Now}
}

// Get returns the value to apply. The error says why there is none: no
// good value was ever parsed, or (Strict) the current file is broken. Its
// message names the path.
func (p *Parsed[T]) Get(ctx context.Context) (T, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refresh(ctx)
	if p.broken != nil && (p.opts.Strict || !p.haveGood) {
		var zero T
		return zero, p.broken
	}
	return p.good, nil
}

// Ready fails while the current file is broken or unreadable, even when a
// last good value is still served, so operators see it on /readyz.
func (p *Parsed[T]) Ready(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refresh(ctx)
	return p.broken
}

// refresh brings the state up to date with the file; p.mu is held.
func (p *Parsed[T]) refresh(ctx context.Context) {
	g, hasGen := p.tree.(Generational)
	var gen uint64
	if hasGen {
		gen = g.Generation()
		if p.fresh && gen == p.gen && (p.opts.Recheck < 0 || p.now().Sub(p.readAt) < p.opts.Recheck) {
			return
		}
	}
	data, err := p.tree.ReadFile(ctx, p.path)
	missing := errors.Is(err, ErrNotExist)
	if err != nil && !missing {
		p.fresh = false
		err = fmt.Errorf("%s unreadable: %w", p.path, err)
		if p.broken == nil || p.broken.Error() != err.Error() {
			p.log.Error(p.opts.Name+" unreadable, "+p.keeping(), slog.String("path", p.path),
				slog.Bool("have_good", p.haveGood), slog.String("error", err.Error()))
		}
		p.broken = err
		return
	}
	p.gen, p.readAt, p.fresh = gen, p.now(), hasGen
	if p.seen && missing == p.missing && bytes.Equal(data, p.raw) {
		// The bytes last parsed: their state holds again (a read error
		// in between has passed).
		p.broken = p.parseErr
		return
	}
	p.raw, p.missing, p.seen = data, missing, true
	var v T
	switch {
	case !missing:
		v, err = p.parse(data)
	case p.opts.IfMissing != nil:
		v, err = p.opts.IfMissing()
	default:
		err = ErrNotExist
	}
	if err != nil {
		p.parseErr = fmt.Errorf("%s: %w", p.path, err)
		p.broken = p.parseErr
		p.log.Error(p.opts.Name+" broken, "+p.keeping(), slog.String("path", p.path),
			slog.Bool("have_good", p.haveGood), slog.String("error", err.Error()))
		return
	}
	p.good, p.haveGood, p.parseErr, p.broken = v, true, nil, nil
	attrs := []slog.Attr{slog.String("path", p.path), slog.Bool("missing", missing)}
	if p.opts.Describe != nil {
		attrs = append(attrs, p.opts.Describe(v)...)
	}
	p.log.LogAttrs(ctx, slog.LevelInfo, p.opts.Name+" loaded", attrs...)
}

// keeping says in a log line what happens while the file is broken.
func (p *Parsed[T]) keeping() string {
	if p.opts.Strict {
		return "refusing until it is fixed"
	}
	return "keeping the last good one"
}

// Host reads absolute paths of the local file system, for a file an
// operator names outside the config repository (a development secrets
// file). It refuses relative paths, so it never stands in for the config
// repository by mistake. It has no generation: a Parsed over it compares
// the bytes on every call.
type Host struct{}

// ReadFile reads the absolute path name.
func (Host) ReadFile(_ context.Context, name string) ([]byte, error) {
	if !filepath.IsAbs(name) {
		return nil, fmt.Errorf("%w: %q is not absolute", ErrInvalidPath, name)
	}
	return os.ReadFile(filepath.Clean(name))
}
