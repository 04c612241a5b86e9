package msgsig

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/hangar-ci/hangar/shared/httpsig"
)

// Woodpecker's signature as its server sends it.
const (
	// Label is the signature label Woodpecker signs under.
	Label = "woodpecker-ci-extensions"
	// Algorithm is the only "alg" accepted.
	Algorithm = "ed25519"
)

// Covered are the components every accepted signature must cover.
var Covered = []string{"@request-target", "content-digest"}

// Defaults of a Verifier: httpsign's own created window, and Drone's body
// limit.
const (
	DefaultPast    = 10 * time.Second
	DefaultFuture  = 2 * time.Second
	DefaultMaxBody = httpsig.DefaultMaxBody
)

// knownParams are the signature parameters RFC 9421 defines; any other is
// refused.
var knownParams = []string{"created", "expires", "nonce", "alg", "keyid", "tag"}

// Verifier checks requests signed by a Woodpecker server.
type Verifier struct {
	keys    Keys
	past    time.Duration
	future  time.Duration
	maxBody int64
	now     func() time.Time
}

// Option adjusts a Verifier.
type Option func(*Verifier)

// WithWindow sets how old (past) and how far ahead (future) "created" may be.
func WithWindow(past, future time.Duration) Option {
	return func(v *Verifier) { v.past, v.future = past, future }
}

// WithMaxBody sets the largest body accepted; larger ones get 413.
func WithMaxBody(n int64) Option { return func(v *Verifier) { v.maxBody = n } }

// WithClock replaces time.Now, for tests.
func WithClock(now func() time.Time) Option { return func(v *Verifier) { v.now = now } }

// NewVerifier returns a Verifier trusting the public key keys gives.
func NewVerifier(keys Keys, opts ...Option) (*Verifier, error) {
	if keys == nil {
		return nil, errors.New("msgsig: no public key source")
	}
	v := &Verifier{keys: keys, past: DefaultPast, future: DefaultFuture, maxBody: DefaultMaxBody, now: time.Now}
	for _, o := range opts {
		o(v)
	}
	if v.past <= 0 || v.future < 0 || v.maxBody <= 0 {
		return nil, errors.New("msgsig: the created window and body limit must be positive")
	}
	return v, nil
}

// Middleware verifies every request before next sees it, as
// httpsig.Middleware does for Drone: a refused request is answered with its
// 4xx and reason and logged; an accepted one reaches next with its body
// readable from r.Body and httpsig.Body.
func (v *Verifier) Middleware(next http.Handler) http.Handler {
	return httpsig.Guard(v.VerifySum, next)
}

func reject(status int, format string, args ...any) *httpsig.Error {
	return &httpsig.Error{Status: status, Reason: fmt.Sprintf(format, args...)}
}

// signed is the parsed signature of one request.
type signed struct {
	components []string
	params     []param
	base       string
	sig        []byte
}

// VerifySum checks r and returns its body and the body's SHA-256 sum. The
// checks run cheapest first and the body is read only once the signature
// holds, so an unsigned sender cannot make the server buffer anything.
func (v *Verifier) VerifySum(r *http.Request) ([]byte, [sha256.Size]byte, error) {
	var none [sha256.Size]byte
	if r.Method != http.MethodPost {
		return nil, none, reject(http.StatusMethodNotAllowed, "method %s not allowed: Woodpecker extensions take POST", r.Method)
	}
	s, err := v.parse(r)
	if err != nil {
		return nil, none, err
	}
	if err := v.checkSignature(r.Context(), s); err != nil {
		return nil, none, err
	}
	body, err := httpsig.ReadBody(r, v.maxBody)
	if err != nil {
		return nil, none, err
	}
	sum := sha256.Sum256(body)
	if err := checkContentDigest(r.Header.Values("Content-Digest"), body, sum); err != nil {
		return nil, none, err
	}
	return body, sum, nil
}

// parse reads Signature-Input and Signature strictly and builds the
// signature base.
func (v *Verifier) parse(r *http.Request) (*signed, error) {
	inputs, sigs := r.Header.Values("Signature-Input"), r.Header.Values("Signature")
	if len(inputs) == 0 || len(sigs) == 0 {
		return nil, reject(http.StatusUnauthorized, "request is not signed: Signature-Input and Signature headers are required")
	}
	in, err := parseDict(strings.Join(inputs, ", "))
	if err != nil {
		return nil, reject(http.StatusBadRequest, "Signature-Input: %v", err)
	}
	sd, err := parseDict(strings.Join(sigs, ", "))
	if err != nil {
		return nil, reject(http.StatusBadRequest, "Signature: %v", err)
	}
	for _, d := range []dict{in, sd} {
		for _, k := range d.keys {
			if k != Label {
				return nil, reject(http.StatusUnauthorized, "signature label %q not accepted: only %q", trim(k), Label)
			}
		}
	}
	mi, ok := in.members[Label]
	ms, ok2 := sd.members[Label]
	if !ok || !ok2 {
		return nil, reject(http.StatusUnauthorized, "no signature labelled %q in both Signature-Input and Signature", Label)
	}
	sig, isBytes := ms.item.([]byte)
	if !isBytes || ms.isList || len(ms.params) > 0 {
		return nil, reject(http.StatusBadRequest, "Signature: %q must be a byte sequence", Label)
	}
	if !mi.isList {
		return nil, reject(http.StatusBadRequest, "Signature-Input: %q must be an inner list of components", Label)
	}
	s := &signed{params: mi.params, sig: sig}
	for _, it := range mi.list {
		name, isStr := it.value.(string)
		if !isStr || len(it.params) > 0 {
			return nil, reject(http.StatusBadRequest, "Signature-Input: components must be plain strings without parameters")
		}
		if slices.Contains(s.components, name) {
			return nil, reject(http.StatusBadRequest, "Signature-Input: component %q repeated", trim(name))
		}
		s.components = append(s.components, name)
	}
	for _, c := range Covered {
		if !slices.Contains(s.components, c) {
			return nil, reject(http.StatusUnauthorized, "signature does not cover %q (it covers %v)", c, s.components)
		}
	}
	if err := v.checkParams(s.params); err != nil {
		return nil, err
	}
	var b strings.Builder
	for _, c := range s.components {
		val, err := componentValue(r, c)
		if err != nil {
			return nil, err
		}
		b.WriteString(quote(c))
		b.WriteString(": ")
		b.WriteString(val)
		b.WriteByte('\n')
	}
	b.WriteString(`"@signature-params": `)
	b.WriteString(serializeInnerList(mi.list, mi.params))
	s.base = b.String()
	return s, nil
}

// checkParams accepts only RFC 9421's parameters, requires alg="ed25519"
// and a fresh created, and honours expires.
func (v *Verifier) checkParams(ps []param) error {
	var created, alg bool
	now := v.now()
	for _, p := range ps {
		if !slices.Contains(knownParams, p.key) {
			return reject(http.StatusBadRequest, "unknown signature parameter %q", trim(p.key))
		}
		switch p.key {
		case "created":
			c, ok := p.value.(int64)
			if !ok {
				return reject(http.StatusBadRequest, "signature parameter created must be an integer")
			}
			t := time.Unix(c, 0)
			if d := now.Sub(t); d > v.past {
				return reject(http.StatusUnauthorized, "signature created %s ago, beyond the allowed %s", d.Truncate(time.Second), v.past)
			}
			if d := t.Sub(now); d > v.future {
				return reject(http.StatusUnauthorized, "signature created %s in the future, beyond the allowed %s", d.Truncate(time.Second), v.future)
			}
			created = true
		case "alg":
			if a, _ := p.value.(string); a != Algorithm {
				return reject(http.StatusUnauthorized, "signature algorithm %v not accepted: use %s", p.value, Algorithm)
			}
			alg = true
		case "expires":
			e, ok := p.value.(int64)
			if !ok || !now.Before(time.Unix(e, 0)) {
				return reject(http.StatusUnauthorized, "signature expired")
			}
		}
	}
	if !created {
		return reject(http.StatusUnauthorized, "signature has no created parameter")
	}
	if !alg {
		return reject(http.StatusUnauthorized, "signature has no alg parameter: Woodpecker signs with alg=%q", Algorithm)
	}
	return nil
}

// componentValue is the value of one covered component. Only the derived
// components Woodpecker and httpsign use are known; header fields are
// their values joined as RFC 9421 §2.1 says.
func componentValue(r *http.Request, name string) (string, error) {
	switch name {
	case "@request-target":
		return requestTarget(r), nil
	case "@method":
		return r.Method, nil
	}
	if strings.HasPrefix(name, "@") || name != strings.ToLower(name) || name == "" {
		return "", reject(http.StatusBadRequest, "signature component %q not supported", trim(name))
	}
	vals := r.Header.Values(name)
	if len(vals) == 0 {
		return "", reject(http.StatusUnauthorized, "signed component %q missing from the request", name)
	}
	for i := range vals {
		vals[i] = strings.TrimSpace(vals[i])
	}
	return strings.Join(vals, ", "), nil
}

// requestTarget is the request's target as the client wrote it, path and
// query, computed as httpsign does (decoded path). It reads RequestURI, not
// URL, so a service mounted under a prefix (hangar all strips /woodpecker)
// still sees what Woodpecker signed.
func requestTarget(r *http.Request) string {
	u := r.URL
	if r.RequestURI != "" {
		if p, err := url.ParseRequestURI(r.RequestURI); err == nil {
			u = p
		}
	}
	path := u.Path
	if path == "" {
		path = "/"
	}
	if u.RawQuery != "" {
		return path + "?" + u.RawQuery
	}
	return path
}

// checkSignature verifies s with the current key and, when that fails,
// once more with a key fetched again (Woodpecker's key may have changed).
func (v *Verifier) checkSignature(ctx context.Context, s *signed) error {
	key, err := v.keys.Key(ctx)
	if err != nil {
		return reject(http.StatusServiceUnavailable, "Woodpecker public key unavailable: %v", err)
	}
	if ed25519.Verify(key, []byte(s.base), s.sig) {
		return nil
	}
	if fresh, changed := v.keys.Refresh(ctx); changed && ed25519.Verify(fresh, []byte(s.base), s.sig) {
		return nil
	}
	return reject(http.StatusUnauthorized, "signature does not match the Woodpecker public key")
}

// checkContentDigest accepts a Content-Digest (RFC 9530) with at least one
// sha-256 or sha-512 entry, every one of which matches the body.
func checkContentDigest(values []string, body []byte, sum [sha256.Size]byte) error {
	if len(values) == 0 {
		return reject(http.StatusUnauthorized, "Content-Digest header missing")
	}
	d, err := parseDict(strings.Join(values, ", "))
	if err != nil {
		return reject(http.StatusBadRequest, "Content-Digest: %v", err)
	}
	known := 0
	for _, alg := range d.keys {
		var want []byte
		switch alg {
		case "sha-256":
			want = sum[:]
		case "sha-512":
			s := sha512.Sum512(body)
			want = s[:]
		default:
			continue
		}
		got, ok := d.members[alg].item.([]byte)
		if !ok || subtle.ConstantTimeCompare(got, want) != 1 {
			return reject(http.StatusUnauthorized, "Content-Digest does not match the body")
		}
		known++
	}
	if known == 0 {
		return reject(http.StatusUnauthorized, "Content-Digest has no sha-256 or sha-512 entry")
	}
	return nil
}

func trim(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
