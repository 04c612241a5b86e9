package httpsig

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Defaults for a Verifier.
const (
	DefaultSkew    = 5 * time.Minute
	DefaultMaxBody = 1 << 20
)

// Error is a rejected request: the HTTP status to answer and why.
type Error struct {
	Status int
	Reason string
}

func (e *Error) Error() string { return e.Reason }

func reject(status int, format string, args ...any) *Error {
	return &Error{Status: status, Reason: fmt.Sprintf(format, args...)}
}

// Verifier checks signed requests. Build one with NewVerifier.
type Verifier struct {
	macs     sync.Pool // of hmac.New(sha256.New, secret): keyed state is costly to rebuild
	secret   []byte
	skew     time.Duration
	maxBody  int64
	required []string
	now      func() time.Time
}

// Option adjusts a Verifier.
type Option func(*Verifier)

// WithSkew sets how far the Date header may be from the clock, either way.
func WithSkew(d time.Duration) Option { return func(v *Verifier) { v.skew = d } }

// WithMaxBody sets the largest body accepted; larger ones get 413.
func WithMaxBody(n int64) Option { return func(v *Verifier) { v.maxBody = n } }

// WithClock replaces time.Now, for tests.
func WithClock(now func() time.Time) Option { return func(v *Verifier) { v.now = now } }

// NewVerifier returns a Verifier for secret. It refuses an empty secret:
// an empty HMAC key would accept signatures anyone can compute.
func NewVerifier(secret string, opts ...Option) (*Verifier, error) {
	if secret == "" {
		return nil, errors.New("httpsig: the shared secret is empty")
	}
	v := &Verifier{
		secret:   []byte(secret),
		skew:     DefaultSkew,
		maxBody:  DefaultMaxBody,
		required: []string{"date", "digest"},
		now:      time.Now,
	}
	for _, o := range opts {
		o(v)
	}
	v.macs.New = func() any { return hmac.New(sha256.New, v.secret) }
	if v.skew <= 0 || v.maxBody <= 0 {
		return nil, errors.New("httpsig: skew and body limit must be positive")
	}
	return v, nil
}

// Verify checks r and returns its body. See VerifySum for its digest too. The checks run cheapest first and
// the body is read only once the signature over the headers holds, so an
// unauthenticated sender cannot make the server buffer anything.
//
// Identical resends inside the skew window are accepted on purpose: the
// Drone server sends byte-identical requests within a second (one config
// lookup per stage), so the Date window is the replay bound.
func (v *Verifier) Verify(r *http.Request) ([]byte, error) {
	body, _, err := v.VerifySum(r)
	return body, err
}

// VerifySum is Verify that also returns the body's SHA-256 sum, which the
// digest check computes anyway.
func (v *Verifier) VerifySum(r *http.Request) ([]byte, [sha256.Size]byte, error) {
	var none [sha256.Size]byte
	if r.Method != http.MethodPost {
		return nil, none, reject(http.StatusMethodNotAllowed, "method %s not allowed: extensions take POST", r.Method)
	}
	p, err := parseSignature(r.Header)
	if err != nil {
		return nil, none, err
	}
	if p.algorithm != Algorithm {
		return nil, none, reject(http.StatusUnauthorized, "signature algorithm %q not accepted: use %s", p.algorithm, Algorithm)
	}
	for _, h := range v.required {
		if !slices.Contains(p.headers, h) {
			return nil, none, reject(http.StatusUnauthorized, "signed header list %q does not include %q", strings.Join(p.headers, " "), h)
		}
	}
	if err := v.checkDate(r.Header.Get("Date")); err != nil {
		return nil, none, err
	}
	s, err := signingString(r.Header, p.headers)
	if err != nil {
		return nil, none, reject(http.StatusUnauthorized, "signed header missing from request: %v", strings.TrimPrefix(err.Error(), "httpsig: "))
	}
	m := v.macs.Get().(hash.Hash)
	m.Reset()
	m.Write([]byte(s))
	want := m.Sum(nil)
	v.macs.Put(m)
	got, err := base64.StdEncoding.DecodeString(p.signature)
	if err != nil || subtle.ConstantTimeCompare(got, want) != 1 {
		return nil, none, reject(http.StatusUnauthorized, "signature does not match")
	}
	body, err := ReadBody(r, v.maxBody)
	if err != nil {
		return nil, none, err
	}
	sum := sha256.Sum256(body)
	if err := checkDigest(r.Header.Get("Digest"), sum); err != nil {
		return nil, none, err
	}
	return body, sum, nil
}

func (v *Verifier) checkDate(value string) error {
	if value == "" {
		return reject(http.StatusUnauthorized, "Date header missing")
	}
	t, err := http.ParseTime(value)
	if err != nil {
		return reject(http.StatusUnauthorized, "Date header %q is not an HTTP date", value)
	}
	if d := v.now().Sub(t); d > v.skew || d < -v.skew {
		return reject(http.StatusUnauthorized, "Date %s is outside the allowed skew of %s", value, v.skew)
	}
	return nil
}

// ReadBody reads r's body, at most maxBody bytes: beyond, a 413 *Error; a
// body longer than its Content-Length or unreadable, a 400 *Error.
func ReadBody(r *http.Request, maxBody int64) ([]byte, error) {
	if r.ContentLength > maxBody {
		return nil, reject(http.StatusRequestEntityTooLarge, "body of %d bytes exceeds the limit of %d", r.ContentLength, maxBody)
	}
	if r.ContentLength >= 0 {
		// The usual case: read exactly the announced length into one
		// allocation, then make sure nothing follows it.
		body := make([]byte, r.ContentLength)
		if _, err := io.ReadFull(r.Body, body); err != nil {
			return nil, reject(http.StatusBadRequest, "reading body: %v", err)
		}
		var probe [1]byte
		if n, _ := r.Body.Read(probe[:]); n > 0 {
			return nil, reject(http.StatusBadRequest, "body longer than its Content-Length")
		}
		return body, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, reject(http.StatusBadRequest, "reading body: %v", err)
	}
	if int64(len(body)) > maxBody {
		return nil, reject(http.StatusRequestEntityTooLarge, "body exceeds the limit of %d bytes", maxBody)
	}
	return body, nil
}

// checkDigest accepts a Digest header holding a SHA-256 entry equal to the
// body's; other algorithms in a comma-separated list are ignored.
func checkDigest(header string, sum [sha256.Size]byte) error {
	if header == "" {
		return reject(http.StatusUnauthorized, "Digest header missing")
	}
	want := "SHA-256=" + base64.StdEncoding.EncodeToString(sum[:])
	for entry := range strings.SplitSeq(header, ",") {
		entry = strings.TrimSpace(entry)
		alg, _, ok := strings.Cut(entry, "=")
		if !ok || !strings.EqualFold(alg, "SHA-256") {
			continue
		}
		if subtle.ConstantTimeCompare([]byte(entry[len(alg):]), []byte(want[len("SHA-256"):])) == 1 {
			return nil
		}
		return reject(http.StatusUnauthorized, "Digest does not match the body")
	}
	return reject(http.StatusUnauthorized, "Digest header has no SHA-256 entry")
}
