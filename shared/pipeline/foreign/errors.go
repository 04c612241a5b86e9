package foreign

import (
	"fmt"
	"strings"

	"github.com/hangar-ci/hangar/shared/pipeline"
)

// Problem is one thing in a file that the conversion cannot carry over.
type Problem struct {
	// Line is the 1-based line of the key, 0 when unknown.
	Line int
	// Key names the key as a path, e.g. "pipeline.build.cap_add".
	Key string
	// Message says why it cannot be converted.
	Message string
}

// String is "line N: key: message".
func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("line %d: %s: %s", p.Line, p.Key, p.Message)
	}
	return fmt.Sprintf("%s: %s", p.Key, p.Message)
}

// Error is a file that cannot be converted, with every reason at once.
type Error struct {
	// Format is the format the file was detected as.
	Format Format
	// Problems are every key that cannot be converted, in line order.
	Problems []Problem

	err error
}

// Error lists every problem, in line order, after the format's name.
func (e *Error) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return fmt.Sprintf("%s: cannot convert: %s", e.Format.Title(), strings.Join(parts, "; "))
}

// Unwrap returns pipeline.ErrLimit for files over a limit.
func (e *Error) Unwrap() error { return e.err }

// Warning is something converted the way Drone 0.8 read it that is
// probably not what its author meant.
type Warning struct {
	// Line is the 1-based line of the key concerned, 0 when unknown.
	Line int
	// Message says what was done and why it is probably not meant.
	Message string
}

// String is "line N: message".
func (w Warning) String() string {
	if w.Line > 0 {
		return fmt.Sprintf("line %d: %s", w.Line, w.Message)
	}
	return w.Message
}

func limitError(f Format, line int, format string, args ...any) *Error {
	return &Error{Format: f, Problems: []Problem{{Line: line, Key: "limit", Message: fmt.Sprintf(format, args...)}}, err: pipeline.ErrLimit}
}
