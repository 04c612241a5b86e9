package httpsig

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"log/slog"
	"net/http"

	"github.com/hangar-ci/hangar/shared/reqlog"
)

type bodyKey struct{}

// verified is what Middleware learned of a request's body.
type verified struct {
	body []byte
	sum  [sha256.Size]byte
}

// Middleware verifies every request before next sees it. A rejected request
// is answered with its 4xx and the reason, and logged; next never runs. An
// accepted request reaches next with its verified body readable from r.Body
// and from Body.
func (v *Verifier) Middleware(next http.Handler) http.Handler {
	return Guard(v.VerifySum, next)
}

// Guard is Middleware for any verifier returning the body and its SHA-256
// sum, or an error (an *Error carries its status; any other is a 400). The
// Woodpecker verifier (shared/msgsig) uses it, so Body and BodySum work
// the same behind either.
func Guard(verify func(*http.Request) ([]byte, [sha256.Size]byte, error), next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, sum, err := verify(r)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				e = &Error{Status: http.StatusBadRequest, Reason: err.Error()}
			}
			reqlog.From(r.Context()).LogAttrs(r.Context(), slog.LevelWarn, "request rejected",
				slog.String("reason", e.Reason), slog.Int("status", e.Status))
			http.Error(w, e.Reason, e.Status)
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), bodyKey{}, &verified{body, sum}))
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}

// Body returns the verified body of a request that passed Middleware.
func Body(r *http.Request) ([]byte, bool) {
	v, ok := r.Context().Value(bodyKey{}).(*verified)
	if !ok {
		return nil, false
	}
	return v.body, true
}

// BodySum returns the SHA-256 sum of the verified body of a request that
// passed Middleware: a cheap key for recognising byte-identical resends.
func BodySum(r *http.Request) ([sha256.Size]byte, bool) {
	v, ok := r.Context().Value(bodyKey{}).(*verified)
	if !ok {
		return [sha256.Size]byte{}, false
	}
	return v.sum, true
}
