package httpsig

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The vectors of drone-protocol.md §1.6.
const (
	vecSecret = "3a1f0c5e9b7d2468ace0bdf13579acef"
	vecBody   = `{"name":"docker_password","path":"secret/data/docker"}`
	vecDate   = "Tue, 01 Jun 2021 12:00:00 GMT"
	vecDigest = "SHA-256=0rrQhpAJ6qJI6/4Qyxw2Izterx8SzzUIrG7/mCdrwhs="
	vecSig    = `keyId="hmac-key",algorithm="hmac-sha256",signature="8iKV2g1Cm64HnH1PtHA36m34xnXPOUpzxHbuaer4hrQ=",headers="accept accept-encoding content-type date digest"`
	vecHook   = `keyId="hmac-key",algorithm="hmac-sha256",signature="C8xzDYHMbB9srujehImgBJ3muaQYtE5Tw/S7ZI8wYqQ=",headers="date digest"`
)

var vecTime = time.Date(2021, 6, 1, 12, 0, 0, 0, time.UTC)

func vectorRequest(t *testing.T, headers []string) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(vecBody))
	if len(headers) == len(ExtensionHeaders) {
		r.Header.Set("Accept", "application/vnd.drone.secret.v1+json")
		r.Header.Set("Accept-Encoding", "identity")
		r.Header.Set("Content-Type", "application/json")
	}
	r.Header.Set("Date", vecDate)
	if err := Sign(r, []byte(vecBody), vecSecret, headers, vecTime); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestSignVectors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		headers []string
		want    string
	}{
		{"extension", ExtensionHeaders, vecSig},
		{"webhook", WebhookHeaders, vecHook},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := vectorRequest(t, tt.headers)
			if got := r.Header.Get("Digest"); got != vecDigest {
				t.Errorf("Digest = %q, want %q", got, vecDigest)
			}
			if got := r.Header.Get("Signature"); got != tt.want {
				t.Errorf("Signature =\n %q, want\n %q", got, tt.want)
			}
		})
	}
}

func TestVerifyVectors(t *testing.T) {
	t.Parallel()
	v, err := NewVerifier(vecSecret, WithClock(func() time.Time { return vecTime.Add(time.Minute) }))
	if err != nil {
		t.Fatal(err)
	}
	for _, sig := range []string{vecSig, vecHook} {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(vecBody))
		r.Header.Set("Accept", "application/vnd.drone.secret.v1+json")
		r.Header.Set("Accept-Encoding", "identity")
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Date", vecDate)
		r.Header.Set("Digest", vecDigest)
		r.Header.Set("Signature", sig)
		body, err := v.Verify(r)
		if err != nil {
			t.Fatalf("Verify(%s) = %v, want nil", sig, err)
		}
		if string(body) != vecBody {
			t.Errorf("body = %q, want %q", body, vecBody)
		}
	}
}

func TestNewVerifierRefusesEmptySecret(t *testing.T) {
	t.Parallel()
	if _, err := NewVerifier(""); err == nil {
		t.Fatal("NewVerifier(\"\") = nil error, want refusal")
	}
	if err := Sign(httptest.NewRequest("POST", "/", nil), nil, "", WebhookHeaders, time.Now()); err == nil {
		t.Fatal("Sign with empty secret = nil error, want refusal")
	}
}

func TestVerifyRejects(t *testing.T) {
	t.Parallel()
	now := vecTime
	v, err := NewVerifier(vecSecret, WithClock(func() time.Time { return now }), WithMaxBody(1<<20))
	if err != nil {
		t.Fatal(err)
	}
	sign := func(r *http.Request, body []byte, secret string, headers []string) {
		r.Header.Set("Accept", "application/vnd.drone.config.v1+json")
		r.Header.Set("Accept-Encoding", "identity")
		r.Header.Set("Content-Type", "application/json")
		if err := Sign(r, body, secret, headers, now); err != nil {
			t.Fatal(err)
		}
	}
	valid := func(body []byte) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		sign(r, body, vecSecret, ExtensionHeaders)
		return r
	}
	big := bytes.Repeat([]byte("a"), 2<<20)
	tests := []struct {
		name   string
		req    func() *http.Request
		status int
		reason string
	}{
		{"missing signature", func() *http.Request {
			r := valid([]byte(vecBody))
			r.Header.Del("Signature")
			return r
		}, 401, "not signed"},
		{"wrong secret", func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(vecBody))
			sign(r, []byte(vecBody), "another-secret-of-some-length!!", ExtensionHeaders)
			return r
		}, 401, "does not match"},
		{"body changed after signing", func() *http.Request {
			r := valid([]byte(vecBody))
			changed := `{"name":"other","path":"secret/data/docker"}`
			r.Body, r.ContentLength = nopCloser(strings.NewReader(changed)), int64(len(changed))
			return r
		}, 401, "Digest does not match"},
		{"digest not matching", func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(vecBody))
			r.Header.Set("Digest", Digest([]byte("other")))
			r.Header.Set("Accept", "application/vnd.drone.config.v1+json")
			r.Header.Set("Accept-Encoding", "identity")
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Date", now.Format(http.TimeFormat))
			s, _ := signingString(r.Header, ExtensionHeaders)
			r.Header.Set("Signature", `keyId="hmac-key",algorithm="hmac-sha256",signature="`+mac(vecSecret, s)+`",headers="accept accept-encoding content-type date digest"`)
			return r
		}, 401, "Digest does not match"},
		{"date 10 minutes old", func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(vecBody))
			r.Header.Set("Date", now.Add(-10*time.Minute).Format(http.TimeFormat))
			sign(r, []byte(vecBody), vecSecret, ExtensionHeaders)
			return r
		}, 401, "outside the allowed skew"},
		{"date 10 minutes ahead", func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(vecBody))
			r.Header.Set("Date", now.Add(10*time.Minute).Format(http.TimeFormat))
			sign(r, []byte(vecBody), vecSecret, ExtensionHeaders)
			return r
		}, 401, "outside the allowed skew"},
		{"unparsable date", func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(vecBody))
			r.Header.Set("Date", "banana")
			sign(r, []byte(vecBody), vecSecret, ExtensionHeaders)
			return r
		}, 401, "not an HTTP date"},
		{"hmac-sha1", func() *http.Request {
			r := valid([]byte(vecBody))
			r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), "hmac-sha256", "hmac-sha1", 1))
			return r
		}, 401, "not accepted"},
		{"signed list without digest", func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(vecBody))
			sign(r, []byte(vecBody), vecSecret, []string{"accept", "date"})
			return r
		}, 401, `does not include "digest"`},
		{"GET", func() *http.Request {
			r := valid([]byte(vecBody))
			r.Method = http.MethodGet
			return r
		}, 405, "not allowed"},
		{"2 MiB body", func() *http.Request { return valid(big) }, 413, "exceeds"},
		{"2 MiB body without length", func() *http.Request {
			r := valid(big)
			r.ContentLength = -1
			return r
		}, 413, "exceeds"},
		{"body longer than its length", func() *http.Request {
			r := valid([]byte(vecBody))
			r.Body = nopCloser(strings.NewReader(vecBody + "trailing"))
			return r
		}, 400, "longer than its Content-Length"},
		{"unknown parameter", func() *http.Request {
			r := valid([]byte(vecBody))
			r.Header.Set("Signature", r.Header.Get("Signature")+`,extra="x"`)
			return r
		}, 400, "unknown Signature parameter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := v.Verify(tt.req())
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Verify = %v, want *Error", err)
			}
			if e.Status != tt.status || !strings.Contains(e.Reason, tt.reason) {
				t.Errorf("Verify = %d %q, want %d containing %q", e.Status, e.Reason, tt.status, tt.reason)
			}
		})
	}
	// A byte-identical resend inside the window is accepted: Drone sends
	// identical requests within a second.
	first := valid([]byte(vecBody))
	second := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(vecBody))
	second.Header = first.Header.Clone()
	for i, r := range []*http.Request{first, second} {
		if _, err := v.Verify(r); err != nil {
			t.Errorf("send %d of identical request: %v, want accepted", i+1, err)
		}
	}
}

type readCloser struct{ *strings.Reader }

func (readCloser) Close() error { return nil }

func nopCloser(r *strings.Reader) readCloser { return readCloser{r} }
