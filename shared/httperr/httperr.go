// Package httperr is Hangar's one error type for HTTP answers: a code that
// maps to a status through one table, a message safe to show the caller, and
// an underlying error that is logged but never shown.
package httperr

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/hangar-ci/hangar/shared/reqlog"
)

// Code classifies an error.
type Code string

// The codes Hangar answers with.
const (
	Invalid       Code = "invalid"       // the request is malformed or names something impossible
	Unauthorized  Code = "unauthorized"  // missing or bad credentials
	Forbidden     Code = "forbidden"     // authenticated, not allowed
	NotFound      Code = "not_found"     // nothing there
	Conflict      Code = "conflict"      // state does not allow it
	TooLarge      Code = "too_large"     // body or result over a limit
	Unavailable   Code = "unavailable"   // a backend cannot be reached
	Internal      Code = "internal"      // a bug or an unexpected backend answer
	Unprocessable Code = "unprocessable" // well-formed input the service cannot run (script errors)
)

var statuses = map[Code]int{
	Invalid:       http.StatusBadRequest,
	Unauthorized:  http.StatusUnauthorized,
	Forbidden:     http.StatusForbidden,
	NotFound:      http.StatusNotFound,
	Conflict:      http.StatusConflict,
	TooLarge:      http.StatusRequestEntityTooLarge,
	Unprocessable: http.StatusUnprocessableEntity,
	Unavailable:   http.StatusServiceUnavailable,
	Internal:      http.StatusInternalServerError,
}

// Error is an error with a code and a public message.
type Error struct {
	Code    Code
	Message string // shown to the caller
	Err     error  // logged, never shown
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an Error with a formatted public message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an Error with a public message and a logged cause.
func Wrap(code Code, err error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// Status returns the HTTP status for err: its Error's code, or 500.
func Status(err error) int {
	var e *Error
	if errors.As(err, &e) {
		if s, ok := statuses[e.Code]; ok {
			return s
		}
	}
	return http.StatusInternalServerError
}

// Message returns what the caller may see of err.
func Message(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// Write logs err with the request's logger and answers with its status and
// public message as text/plain, the form Drone copies into a build's error.
func Write(w http.ResponseWriter, r *http.Request, err error) {
	status := Status(err)
	level := slog.LevelWarn
	if status >= 500 {
		level = slog.LevelError
	}
	reqlog.From(r.Context()).LogAttrs(r.Context(), level, "request failed",
		slog.Int("status", status), slog.String("error", err.Error()))
	http.Error(w, Message(err), status)
}
