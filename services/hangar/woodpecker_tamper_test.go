package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yaronf/httpsign"

	"github.com/hangar-ci/hangar/shared/msgsig"
)

// wpSigned builds a request to url signed by httpsign v0.5.2 under label
// over fields (with httpsign's Content-Digest when fields cover it), then
// lets mutate change it after signing.
func wpSigned(t *testing.T, url string, body []byte, priv ed25519.PrivateKey, label string, fields httpsign.Fields, mutate func(*http.Request)) *http.Request {
	t.Helper()
	r, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/json")
	digest, err := httpsign.GenerateContentDigestHeader(&r.Body, []string{httpsign.DigestSha256})
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Digest", digest)
	signer, err := httpsign.NewEd25519Signer(priv, httpsign.NewSignConfig(), fields)
	if err != nil {
		t.Fatal(err)
	}
	in, sig, err := httpsign.SignRequest(label, *signer, r)
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Add("Signature", sig)
	r.Header.Add("Signature-Input", in)
	if mutate != nil {
		mutate(r)
	}
	return r
}

// wpSignedAt signs with msgsig.Sign (byte for byte what httpsign writes,
// see shared/msgsig) at a chosen time, which httpsign cannot fake.
func wpSignedAt(t *testing.T, url string, body []byte, priv ed25519.PrivateKey, at time.Time) *http.Request {
	t.Helper()
	r, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	if err := msgsig.Sign(r, body, priv, at); err != nil {
		t.Fatal(err)
	}
	return r
}

var lookupsTotal = regexp.MustCompile(`(?m)^hangar_config_lookups_total\{[^}]*\} (\d+)$`)

// metrics returns the process's /metrics page.
func metrics(t *testing.T, base string) string {
	t.Helper()
	res, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

// configLookups sums the config service's lookups from /metrics.
func configLookups(t *testing.T, base string) int {
	t.Helper()
	n := 0
	for _, m := range lookupsTotal.FindAllStringSubmatch(metrics(t, base), -1) {
		v, _ := strconv.Atoi(string(m[1]))
		n += v
	}
	return n
}

// TestWoodpeckerTamper sends every kind of forged or malformed Woodpecker
// request: each is refused with a 4xx and a log line saying why, none
// reaches the config lookup, and a valid request still succeeds afterwards
// (twice: Woodpecker's retries resend identical bodies).
func TestWoodpeckerTamper(t *testing.T) {
	t.Parallel()
	h := startWoodpecker(t, false, false, nil)
	url := h.URL + "/woodpecker/config"
	body := wpBody("octo/hello", push("main"))
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	both := httpsign.Headers("@request-target", "content-digest")
	now := time.Now()
	big := append(append([]byte(`{"repo":{"name":"`), bytes.Repeat([]byte("a"), 2<<20)...), `"}}`...)

	tests := []struct {
		name   string
		req    func() *http.Request
		status int
		reason string
	}{
		{"no signature", func() *http.Request {
			return wpSigned(t, url, body, h.Key, msgsig.Label, both, func(r *http.Request) {
				r.Header.Del("Signature")
				r.Header.Del("Signature-Input")
			})
		}, 401, "request is not signed"},
		{"wrong key", func() *http.Request {
			return wpSigned(t, url, body, otherKey, msgsig.Label, both, nil)
		}, 401, "signature does not match the Woodpecker public key"},
		{"body changed after signing", func() *http.Request {
			return wpSigned(t, url, body, h.Key, msgsig.Label, both, func(r *http.Request) {
				changed := bytes.Replace(body, []byte("octo/hello"), []byte("evil/hello"), 1)
				r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(changed)), int64(len(changed))
			})
		}, 401, "Content-Digest does not match the body"},
		{"digest not matching, signed by the key", func() *http.Request {
			// A signer holding the key but lying about the body.
			r := wpSigned(t, url, []byte(`{}`), h.Key, msgsig.Label, both, nil)
			r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
			return r
		}, 401, "Content-Digest does not match the body"},
		{"created a minute ago", func() *http.Request {
			return wpSignedAt(t, url, body, h.Key, now.Add(-time.Minute))
		}, 401, "beyond the allowed 10s"},
		{"created a minute ahead", func() *http.Request {
			return wpSignedAt(t, url, body, h.Key, now.Add(time.Minute))
		}, 401, "in the future, beyond the allowed 2s"},
		{"content-digest not covered", func() *http.Request {
			return wpSigned(t, url, body, h.Key, msgsig.Label, httpsign.Headers("@request-target"), nil)
		}, 401, `signature does not cover "content-digest"`},
		{"@request-target not covered", func() *http.Request {
			return wpSigned(t, url, body, h.Key, msgsig.Label, httpsign.Headers("content-digest"), nil)
		}, 401, `signature does not cover "@request-target"`},
		{"signed for another endpoint", func() *http.Request {
			return wpSigned(t, h.URL+"/woodpecker/secret", body, h.Key, msgsig.Label, both, func(r *http.Request) {
				r.URL.Path = "/woodpecker/config"
			})
		}, 401, "signature does not match the Woodpecker public key"},
		{"other label", func() *http.Request {
			return wpSigned(t, url, body, h.Key, "woodpecker-ci-plugins", both, nil)
		}, 401, `signature label "woodpecker-ci-plugins" not accepted`},
		{"second label beside Woodpecker's", func() *http.Request {
			return wpSigned(t, url, body, h.Key, msgsig.Label, both, func(r *http.Request) {
				r.Header.Add("Signature-Input", `extra=("@method");created=`+strconv.FormatInt(now.Unix(), 10))
				r.Header.Add("Signature", "extra=:AAAA:")
			})
		}, 401, `signature label "extra" not accepted`},
		{"other algorithm", func() *http.Request {
			return wpSigned(t, url, body, h.Key, msgsig.Label, both, func(r *http.Request) {
				r.Header.Set("Signature-Input", strings.Replace(r.Header.Get("Signature-Input"), `"ed25519"`, `"hmac-sha256"`, 1))
			})
		}, 401, "signature algorithm hmac-sha256 not accepted"},
		{"unknown parameter", func() *http.Request {
			return wpSigned(t, url, body, h.Key, msgsig.Label, both, func(r *http.Request) {
				r.Header.Set("Signature-Input", r.Header.Get("Signature-Input")+`;extra=1`)
			})
		}, 400, `unknown signature parameter "extra"`},
		{"GET", func() *http.Request {
			return wpSigned(t, url, body, h.Key, msgsig.Label, both, func(r *http.Request) { r.Method = http.MethodGet })
		}, 405, "method GET not allowed"},
		{"2 MiB body", func() *http.Request {
			return wpSigned(t, url, big, h.Key, msgsig.Label, both, nil)
		}, 413, "exceeds the limit"},
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
			if !strings.Contains(h.Logs.String(), string(quoted[1:len(quoted)-1])) {
				t.Errorf("no log line says %q", tt.reason)
			}
		})
	}
	if n := configLookups(t, h.URL); n != 0 {
		t.Errorf("refused requests made %d config lookups, want 0", n)
	}

	valid := wpSigned(t, url, body, h.Key, msgsig.Label, both, nil)
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
	if n := configLookups(t, h.URL); n != 2 {
		t.Errorf("valid requests made %d config lookups, want 2", n)
	}
}
