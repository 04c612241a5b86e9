// Package tree reads the central config repository: pipelines, Starlark
// libraries, policy and sink files. A Tree is a local directory reloaded on
// change or a repository read through the GitHub or GitLab API; every path
// is checked by ValidPath first, so no name can reach outside the tree.
package tree

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

// ErrNotExist is returned for a path that is not in the tree.
var ErrNotExist = fs.ErrNotExist

// ErrInvalidPath is returned for a path that ValidPath refuses.
var ErrInvalidPath = errors.New("invalid path")

// Tree is a read-only view of the config repository.
type Tree interface {
	// ReadFile returns the content at a slash-separated path relative to
	// the root, or an error wrapping ErrNotExist.
	ReadFile(ctx context.Context, name string) ([]byte, error)
}

// Lister is a Tree that can list every file it holds (for `hangar lint`).
type Lister interface {
	Tree
	Files(ctx context.Context) ([]string, error)
}

// Limits on names, far above anything real and far below anything harmful.
const (
	MaxPathLen    = 1024
	MaxSegmentLen = 255
)

// ValidPath reports whether name is a clean relative path inside a tree:
// slash-separated, no empty, "." or ".." segment, no leading slash,
// backslash, NUL or other control character, no percent sign (so no
// encoded traversal survives a later decoding step), and within the length
// limits.
func ValidPath(name string) error {
	if name == "" {
		return fmt.Errorf("%w: empty", ErrInvalidPath)
	}
	if len(name) > MaxPathLen {
		return fmt.Errorf("%w: longer than %d bytes", ErrInvalidPath, MaxPathLen)
	}
	for _, seg := range strings.Split(name, "/") {
		if err := ValidSegment(seg); err != nil {
			return err
		}
	}
	return nil
}

// ValidSegment reports whether seg is a safe single path element: no
// slash, and nothing ValidPath refuses.
func ValidSegment(seg string) error {
	switch {
	case seg == "":
		return fmt.Errorf("%w: empty segment", ErrInvalidPath)
	case seg == "." || seg == "..":
		return fmt.Errorf("%w: %q segment", ErrInvalidPath, seg)
	case len(seg) > MaxSegmentLen:
		return fmt.Errorf("%w: segment longer than %d bytes", ErrInvalidPath, MaxSegmentLen)
	}
	for _, c := range []byte(seg) {
		switch {
		case c < 0x20 || c == 0x7f:
			return fmt.Errorf("%w: control character", ErrInvalidPath)
		case c == '/' || c == '\\' || c == '%' || c == ':':
			return fmt.Errorf("%w: character %q", ErrInvalidPath, c)
		}
	}
	return nil
}

// Invalidator is a Tree with a cache that a push to the config repository
// must drop.
type Invalidator interface {
	Invalidate()
}

// Generational is a Tree that can say when its content may have changed:
// the number increases on every reload or invalidation. Callers that parse
// a file (a policy, a sink list) re-parse only when it moves.
type Generational interface {
	Generation() uint64
}
