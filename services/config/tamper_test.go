package config

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hangar-ci/hangar/shared/httpsig"
	"github.com/hangar-ci/hangar/shared/servicetest"
	"github.com/hangar-ci/hangar/shared/wire"
)

// signedRequest builds a request to url signed as drone-go signs it, then
// lets mutate change it after signing.
func signedRequest(t *testing.T, url string, body []byte, secret string, headers []string, date time.Time, mutate func(*http.Request)) *http.Request {
	t.Helper()
	r, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Accept", wire.ConfigV1)
	r.Header.Set("Accept-Encoding", "identity")
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Date", date.UTC().Format(http.TimeFormat))
	if err := httpsig.Sign(r, body, secret, headers, date); err != nil {
		t.Fatal(err)
	}
	if mutate != nil {
		mutate(r)
	}
	return r
}

// TestTamper sends every kind of forged or malformed request: each is
// refused with a 4xx and a log line saying why, none reaches the lookup,
// and a valid request still succeeds afterwards.
func TestTamper(t *testing.T) {
	t.Parallel()
	d, _ := servicetest.Tree(t, sampleTree)
	repo := &recordingTree{Tree: d}
	url, logs := startService(t, repo, nil)
	body, _ := json.Marshal(request("octo/hello", "main"))
	now := time.Now()
	big := append(append([]byte(`{"repo":{"name":"`), bytes.Repeat([]byte("a"), 2<<20)...), `"}}`...)

	tests := []struct {
		name   string
		req    func() *http.Request
		status int
		reason string
	}{
		{"missing signature", func() *http.Request {
			return signedRequest(t, url, body, testSecret, httpsig.ExtensionHeaders, now, func(r *http.Request) { r.Header.Del("Signature") })
		}, 401, "not signed"},
		{"wrong secret", func() *http.Request {
			return signedRequest(t, url, body, "some-other-secret-entirely-000000", httpsig.ExtensionHeaders, now, nil)
		}, 401, "signature does not match"},
		{"body changed after signing", func() *http.Request {
			return signedRequest(t, url, body, testSecret, httpsig.ExtensionHeaders, now, func(r *http.Request) {
				changed := bytes.Replace(body, []byte("octo"), []byte("evil"), 1)
				r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(changed)), int64(len(changed))
			})
		}, 401, "Digest does not match"},
		{"digest not matching, re-signed", func() *http.Request {
			r := signedRequest(t, url, body, testSecret, httpsig.ExtensionHeaders, now, nil)
			// A sender holding the secret but lying about the digest.
			other := signedRequest(t, url, []byte(`{}`), testSecret, httpsig.ExtensionHeaders, now, nil)
			r.Header.Set("Digest", other.Header.Get("Digest"))
			r.Header.Set("Signature", other.Header.Get("Signature"))
			return r
		}, 401, "Digest does not match"},
		{"date 10 minutes old", func() *http.Request {
			return signedRequest(t, url, body, testSecret, httpsig.ExtensionHeaders, now.Add(-10*time.Minute), nil)
		}, 401, "outside the allowed skew"},
		{"date 10 minutes ahead", func() *http.Request {
			return signedRequest(t, url, body, testSecret, httpsig.ExtensionHeaders, now.Add(10*time.Minute), nil)
		}, 401, "outside the allowed skew"},
		{"unparsable date", func() *http.Request {
			r, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
			r.Header.Set("Accept", wire.ConfigV1)
			r.Header.Set("Accept-Encoding", "identity")
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Date", "yesterday at noon")
			httpsig.Sign(r, body, testSecret, httpsig.ExtensionHeaders, now)
			return r
		}, 401, "not an HTTP date"},
		{"hmac-sha1", func() *http.Request {
			return signedRequest(t, url, body, testSecret, httpsig.ExtensionHeaders, now, func(r *http.Request) {
				r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), "hmac-sha256", "hmac-sha1", 1))
			})
		}, 401, `"hmac-sha1" not accepted`},
		{"signed list without digest", func() *http.Request {
			return signedRequest(t, url, body, testSecret, []string{"accept", "content-type", "date"}, now, nil)
		}, 401, `does not include "digest"`},
		{"GET", func() *http.Request {
			return signedRequest(t, url, body, testSecret, httpsig.ExtensionHeaders, now, func(r *http.Request) { r.Method = http.MethodGet })
		}, 405, "method GET not allowed"},
		{"2 MiB body", func() *http.Request {
			return signedRequest(t, url, big, testSecret, httpsig.ExtensionHeaders, now, nil)
		}, 413, "exceeds the limit"},
		{"invalid JSON", func() *http.Request {
			return signedRequest(t, url, []byte(`{"repo":`), testSecret, httpsig.ExtensionHeaders, now, nil)
		}, 400, "invalid JSON body"},
		{"trailing data", func() *http.Request {
			return signedRequest(t, url, append(append([]byte{}, body...), []byte(`{}`)...), testSecret, httpsig.ExtensionHeaders, now, nil)
		}, 400, "data after the JSON value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := http.DefaultClient.Do(tt.req())
			if err != nil {
				t.Fatal(err)
			}
			msg, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tt.status || !strings.Contains(string(msg), tt.reason) {
				t.Errorf("got %d %q, want %d containing %q", res.StatusCode, msg, tt.status, tt.reason)
			}
			quoted, _ := json.Marshal(tt.reason) // the log is JSON
			if !strings.Contains(logs.String(), string(quoted[1:len(quoted)-1])) {
				t.Errorf("no log line says %q", tt.reason)
			}
		})
	}
	if n := repo.count(); n != 0 {
		t.Errorf("rejected requests read %d files, want 0: %v", n, repo.reads)
	}

	// A valid request is served, and a byte-identical resend inside the
	// window too: the Drone server sends identical requests within a second.
	valid := signedRequest(t, url, body, testSecret, httpsig.ExtensionHeaders, now, nil)
	for i := range 2 {
		r, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		r.Header = valid.Header.Clone()
		res, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("valid request, send %d: status %d, want 200", i+1, res.StatusCode)
		}
	}
}
