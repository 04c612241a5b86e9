package pipeline

import (
	"errors"
	"fmt"
)

// ErrLimit is wrapped by every Parse error caused by a hostile or
// oversized manifest (size, aliases, depth, encoding), so a caller can
// answer 413 or 400 without inspecting the text.
var ErrLimit = errors.New("manifest exceeds a limit")

// ErrMissingKind is Drone's error for a document without a kind,
// including the empty document a trailing "---" creates.
var ErrMissingKind = errors.New("yaml: missing kind attribute")

// Error is a problem found in a manifest: a parse error, a lint finding or
// a DAG cycle. Error() is Drone's exact message; the other fields say where
// it is, as precisely as known.
type Error struct {
	// Rule names the check, e.g. "duplicate-step" or "parse".
	Rule string
	// Message is Drone's message, e.g. "linter: duplicate step names".
	Message string
	// Line is the 1-based line in the whole file, 0 when unknown.
	Line int
	// Pipeline and Step name the resource and container concerned.
	Pipeline string
	Step     string

	err error
}

func (e *Error) Error() string { return e.Message }

// Unwrap returns the cause, e.g. ErrLimit or ErrMissingKind.
func (e *Error) Unwrap() error { return e.err }

// Where describes the location: "line 12, pipeline "build", step "test"".
func (e *Error) Where() string {
	s := ""
	add := func(part string) {
		if s != "" {
			s += ", "
		}
		s += part
	}
	if e.Line > 0 {
		add(fmt.Sprintf("line %d", e.Line))
	}
	if e.Pipeline != "" {
		add(fmt.Sprintf("pipeline %q", e.Pipeline))
	}
	if e.Step != "" {
		add(fmt.Sprintf("step %q", e.Step))
	}
	return s
}

func limitError(line int, format string, args ...any) *Error {
	return &Error{Rule: "limit", Line: line, Message: "yaml: " + fmt.Sprintf(format, args...), err: ErrLimit}
}
