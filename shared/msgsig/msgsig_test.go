package msgsig

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yaronf/httpsign"

	"github.com/hangar-ci/hangar/shared/httpsig"
)

func newKey(t testing.TB) (ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv
}

// woodpeckerClient signs as Woodpecker's server does
// (server/services/utils/http.go): httpsign's NewSignConfig defaults over
// @request-target and content-digest, label woodpecker-ci-extensions, the
// Content-Digest added by httpsign's client.
func woodpeckerClient(t testing.TB, priv ed25519.PrivateKey) *httpsign.Client {
	t.Helper()
	signer, err := httpsign.NewEd25519Signer(priv, httpsign.NewSignConfig(), httpsign.Headers("@request-target", "content-digest"))
	if err != nil {
		t.Fatal(err)
	}
	return httpsign.NewClient(http.Client{Timeout: 10 * time.Second}, httpsign.NewClientConfig().SetSignatureName(Label).SetSigner(signer))
}

// echo verifies with v and answers the verified body, or the refusal.
func echo(t testing.TB, v *Verifier) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := httpsig.Body(r)
		if !ok {
			http.Error(w, "no verified body", 500)
			return
		}
		w.Write(body)
	})))
	t.Cleanup(s.Close)
	return s
}

func TestHTTPSignRequestsVerify(t *testing.T) {
	t.Parallel()
	pub, priv := newKey(t)
	v, err := NewVerifier(Static(pub))
	if err != nil {
		t.Fatal(err)
	}
	srv := echo(t, v)
	client := woodpeckerClient(t, priv)
	for _, path := range []string{"/", "/woodpecker/config", "/config?x=1&y=%2F"} {
		body := `{"repo":{"full_name":"octo/hello"},"pipeline":{"event":"push","branch":"main"}}` + "\n"
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || string(got) != body {
			t.Errorf("%s: got %d %q, want 200 and the body echoed", path, res.StatusCode, got)
		}
	}
}

// TestSignMatchesHTTPSign shows Sign (used by `hangar call -woodpecker`)
// produces what httpsign's own verifier accepts.
func TestSignMatchesHTTPSign(t *testing.T) {
	t.Parallel()
	pub, priv := newKey(t)
	body := []byte(`{"repo":{},"pipeline":{}}`)
	r := httptest.NewRequest(http.MethodPost, "/woodpecker/secret", bytes.NewReader(body))
	if err := Sign(r, body, priv, time.Now()); err != nil {
		t.Fatal(err)
	}
	verifier, err := httpsign.NewEd25519Verifier(pub, httpsign.NewVerifyConfig(), httpsign.Headers("@request-target", "content-digest"))
	if err != nil {
		t.Fatal(err)
	}
	if err := httpsign.VerifyRequest(Label, *verifier, r); err != nil {
		t.Errorf("httpsign.VerifyRequest = %v, want nil", err)
	}
	if got, want := r.Header.Get("Signature-Input"), `woodpecker-ci-extensions=("@request-target" "content-digest");created=`; !strings.HasPrefix(got, want) || !strings.HasSuffix(got, `;alg="ed25519"`) {
		t.Errorf("Signature-Input = %q, want %q…;alg=\"ed25519\"", got, want)
	}
}

func TestParseDict(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string // want: the first member re-serialised, or "error"
	}{
		{`sig=("@request-target" "content-digest");created=1;alg="ed25519"`, `("@request-target" "content-digest");created=1;alg="ed25519"`},
		{`sig=( "a"  "b" );created=1`, `("a" "b");created=1`},
		{`sig=("a");x;y=?0;z=tok/en:1;b=:AQI=:`, `("a");x;y=?0;z=tok/en:1;b=:AQI=:`},
		{`sig=("a\"b")`, `("a\"b")`},
		{`sig=("a");created=1.5`, "error"},
		{`sig=("a"), sig=("b")`, "error"},
		{`sig=("a");c=1;c=2`, "error"},
		{`sig=("a"`, "error"},
		{`sig=("a"),`, "error"},
		{`Sig=("a")`, "error"},
		{`sig=:not base64!:`, "error"},
		{`sig=("a")junk`, "error"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			d, err := parseDict(tt.in)
			got := "error"
			if err == nil {
				m := d.members[d.keys[0]]
				got = serializeInnerList(m.list, m.params)
			}
			if got != tt.want {
				t.Errorf("got %q (%v), want %q", got, err, tt.want)
			}
		})
	}
}

// TestFetchedKey serves the key as Woodpecker's GET /api/signature/public-key
// does: fetched at start, and fetched again when Woodpecker's key changed
// and a request fails to verify — but not more than once per MinRefetch.
func TestFetchedKey(t *testing.T) {
	t.Parallel()
	oldPub, oldPriv := newKey(t)
	newPub, newPriv := newKey(t)
	var current atomic.Value
	current.Store(oldPub)
	var fetches atomic.Int32
	woodpecker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/signature/public-key" {
			http.NotFound(w, r)
			return
		}
		fetches.Add(1)
		w.Write(MarshalPublicKey(current.Load().(ed25519.PublicKey)))
	}))
	t.Cleanup(woodpecker.Close)
	f := NewFetched(woodpecker.URL+"/api/signature/public-key", nil, slog.New(slog.DiscardHandler))
	clock := time.Now()
	f.now = func() time.Time { return clock }
	if err := f.Ready(context.Background()); err == nil {
		t.Fatal("Ready before the first fetch = nil, want an error")
	}
	// Run returns once it holds a key.
	if err := f.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := f.Ready(context.Background()); err != nil {
		t.Fatalf("Ready after Run = %v, want nil", err)
	}
	v, _ := NewVerifier(f)
	srv := echo(t, v)
	send := func(priv ed25519.PrivateKey) int {
		res, err := woodpeckerClient(t, priv).Post(srv.URL+"/", "application/json", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if got := send(oldPriv); got != 200 {
		t.Errorf("signed with the fetched key: %d, want 200", got)
	}
	// Woodpecker lost its database and made a new key pair.
	current.Store(newPub)
	if got := send(newPriv); got != 401 {
		t.Errorf("new key inside MinRefetch of the last fetch: %d, want 401 (no refetch yet)", got)
	}
	clock = clock.Add(MinRefetch)
	if got := send(newPriv); got != 200 {
		t.Errorf("new key after MinRefetch: %d, want 200 (refetched on failure)", got)
	}
	before := fetches.Load()
	for range 5 {
		send(oldPriv) // forged from Hangar's view now
	}
	if got := fetches.Load() - before; got != 0 {
		t.Errorf("5 failures inside MinRefetch fetched %d times, want 0", got)
	}
}

func TestFetchedKeyUnavailable(t *testing.T) {
	t.Parallel()
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusBadGateway)
	}))
	t.Cleanup(down.Close)
	f := NewFetched(down.URL, nil, slog.New(slog.DiscardHandler))
	v, _ := NewVerifier(f)
	_, priv := newKey(t)
	body := []byte(`{}`)
	r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	Sign(r, body, priv, time.Now())
	_, _, err := v.VerifySum(r)
	var e *httpsig.Error
	if !errors.As(err, &e) || e.Status != http.StatusServiceUnavailable || !strings.Contains(e.Reason, "502") {
		t.Errorf("verify without a key = %v, want 503 naming Woodpecker's 502", err)
	}
}

func TestParseKeys(t *testing.T) {
	t.Parallel()
	pub, priv := newKey(t)
	got, err := ParsePublicKey(MarshalPublicKey(pub))
	if err != nil || !got.Equal(pub) {
		t.Errorf("ParsePublicKey(MarshalPublicKey) = %v, %v; want the key", got, err)
	}
	if _, err := ParsePublicKey([]byte("ssh-ed25519 AAAA")); err == nil {
		t.Error("ParsePublicKey(ssh form) = nil error, want refusal")
	}
	hexKey := []byte(strings.ToLower(hexString(priv)) + "\n")
	p, err := ParsePrivateKey(hexKey)
	if err != nil || !p.Equal(priv) {
		t.Errorf("ParsePrivateKey(hex) = %v, want the key", err)
	}
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

func TestContentDigest(t *testing.T) {
	t.Parallel()
	body := []byte(`{"a":1}`)
	sum := sha256.Sum256(body)
	s512 := sha512.Sum512(body)
	b64 := func(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
	wrong := sha256.Sum256([]byte("other"))
	tests := []struct {
		name   string
		values []string
		want   string // "" accepted, else part of the reason
	}{
		{"sha-256", []string{"sha-256=:" + b64(sum[:]) + ":"}, ""},
		{"sha-512", []string{"sha-512=:" + b64(s512[:]) + ":"}, ""},
		{"both, over two lines", []string{"sha-256=:" + b64(sum[:]) + ":", "sha-512=:" + b64(s512[:]) + ":"}, ""},
		{"unknown algorithm beside a good one", []string{"md5=:AAAA:, sha-256=:" + b64(sum[:]) + ":"}, ""},
		{"one good, one wrong", []string{"sha-256=:" + b64(sum[:]) + ":, sha-512=:" + b64(wrong[:]) + ":"}, "does not match"},
		{"wrong", []string{"sha-256=:" + b64(wrong[:]) + ":"}, "does not match"},
		{"unknown algorithm only", []string{"md5=:AAAA:"}, "no sha-256 or sha-512"},
		{"not a byte sequence", []string{`sha-256="` + b64(sum[:]) + `"`}, "does not match"},
		{"draft Digest syntax", []string{"SHA-256=" + b64(sum[:])}, "Content-Digest:"},
		{"missing", nil, "missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := checkContentDigest(tt.values, body, sum)
			if tt.want == "" {
				if err != nil {
					t.Errorf("got %v, want accepted", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want a refusal containing %q", err, tt.want)
			}
		})
	}
}

// FuzzParseDict: the parser never panics, and an inner list it accepts
// re-serialises to a form it parses back to the same serialisation.
func FuzzParseDict(f *testing.F) {
	for _, s := range []string{
		`woodpecker-ci-extensions=("@request-target" "content-digest");created=1700000000;alg="ed25519"`,
		`sig=:AQID:, other=?1;x=tok`, `a=(1 2;b=:AA==:);c`, `sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseDict(s)
		if err != nil {
			return
		}
		for _, k := range d.keys {
			m := d.members[k]
			if !m.isList {
				continue
			}
			once := serializeInnerList(m.list, m.params)
			d2, err := parseDict("x=" + once)
			if err != nil {
				t.Fatalf("re-serialised %q does not parse: %v", once, err)
			}
			m2 := d2.members["x"]
			if twice := serializeInnerList(m2.list, m2.params); twice != once {
				t.Fatalf("serialisation not stable: %q then %q", once, twice)
			}
		}
	})
}
