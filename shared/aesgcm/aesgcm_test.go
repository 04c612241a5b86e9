package aesgcm

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/drone/drone-go/drone"
	dronesecret "github.com/drone/drone-go/plugin/secret"
	"github.com/google/go-cmp/cmp"

	"github.com/hangar-ci/hangar/shared/httpsig"
)

// The vector of drone-protocol.md §1.6.
const (
	vectorSecret    = "3a1f0c5e9b7d2468ace0bdf13579acef"
	vectorNonce     = "000102030405060708090a0b"
	vectorPlaintext = `{"name":"docker_password","data":"hunter2"}`
	vectorBody      = "000102030405060708090a0b547ea8e13269101cc288590a0c89060808a6be57da703e3d6e4c2a46466edfe3908d4d9eb428ea75c204bfe808f90ed9118adf8fbef0a59ce130bf"
)

func TestVector(t *testing.T) {
	t.Parallel()
	key, err := KeyFrom(vectorSecret)
	if err != nil {
		t.Fatal(err)
	}
	nonce, _ := hex.DecodeString(vectorNonce)
	got, err := seal([]byte(vectorPlaintext), key, nonce)
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(got); got != vectorBody {
		t.Errorf("sealed body\ngot  %s\nwant %s", got, vectorBody)
	}
	want, _ := hex.DecodeString(vectorBody)
	plain, err := Decrypt(want, key)
	if err != nil {
		t.Fatal(err)
	}
	if string(plain) != vectorPlaintext {
		t.Errorf("decrypted: got %q, want %q", plain, vectorPlaintext)
	}
}

func TestKeyFrom(t *testing.T) {
	t.Parallel()
	tests := []struct {
		secret string
		err    error
	}{
		{"", ErrShortSecret},
		{strings.Repeat("x", 31), ErrShortSecret},
		{strings.Repeat("x", 32), nil},
		{strings.Repeat("x", 32) + "ignored", nil},
	}
	for _, tt := range tests {
		_, err := KeyFrom(tt.secret)
		if !errors.Is(err, tt.err) {
			t.Errorf("KeyFrom(%d bytes): got %v, want %v", len(tt.secret), err, tt.err)
		}
	}
	a, _ := KeyFrom(strings.Repeat("k", 32))
	b, _ := KeyFrom(strings.Repeat("k", 32) + "more")
	if *a != *b {
		t.Error("bytes after the 32nd changed the key, want them ignored")
	}
}

func TestDecryptRejects(t *testing.T) {
	t.Parallel()
	key, _ := KeyFrom(vectorSecret)
	if _, err := Decrypt([]byte("short"), key); !errors.Is(err, ErrMalformed) {
		t.Errorf("short body: got %v, want %v", err, ErrMalformed)
	}
	body, _ := hex.DecodeString(vectorBody)
	body[len(body)-1] ^= 1
	if _, err := Decrypt(body, key); err == nil {
		t.Error("tampered body decrypted, want an error")
	}
	other, _ := KeyFrom(strings.Repeat("z", 32))
	body[len(body)-1] ^= 1
	if _, err := Decrypt(body, other); err == nil {
		t.Error("wrong key decrypted, want an error")
	}
}

// TestDroneHandlerInterop decrypts what drone-go's own secret handler
// encrypts, so both sides agree on the format beyond the fixed vector.
func TestDroneHandlerInterop(t *testing.T) {
	t.Parallel()
	want := &drone.Secret{Name: "docker_password", Data: "correct-horse"}
	h := dronesecret.Handler(vectorSecret, plugin{want}, nil)
	body := []byte(`{"name":"docker_password","path":"secret/data/docker"}`)
	r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	r.Header.Set("Accept", dronesecret.V1)
	r.Header.Set("Accept-Encoding", Encoding)
	r.Header.Set("Content-Type", "application/json")
	if err := httpsig.Sign(r, body, vectorSecret, httpsig.ExtensionHeaders, time.Now()); err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if got := w.Header().Get("Content-Encoding"); got != Encoding {
		t.Fatalf("Content-Encoding: got %q, want %q", got, Encoding)
	}
	key, _ := KeyFrom(vectorSecret)
	plain, err := Decrypt(w.Body.Bytes(), key)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(plain), `{"name":"docker_password","data":"correct-horse"}`; got != want {
		t.Errorf("plaintext: got %s, want %s", got, want)
	}
}

func TestWriteJSON(t *testing.T) {
	t.Parallel()
	key, _ := KeyFrom(vectorSecret)
	v := drone.Secret{Name: "n", Data: "d"}
	tests := []struct {
		name, acceptEncoding string
		key                  *Key
		wantEncoding         string
		wantErr              error
	}{
		{"plain", "identity", key, "", nil},
		{"encrypted", "aesgcm", key, "aesgcm", nil},
		{"list is not parsed", "gzip, aesgcm", key, "", nil},
		{"short secret", "aesgcm", nil, "", ErrShortSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodPost, "/", nil)
			r.Header.Set("Accept-Encoding", tt.acceptEncoding)
			w := httptest.NewRecorder()
			err := WriteJSON(w, r, tt.key, v)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error: got %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				if w.Body.Len() != 0 {
					t.Errorf("body written on error: %q", w.Body.String())
				}
				return
			}
			if got := w.Header().Get("Content-Encoding"); got != tt.wantEncoding {
				t.Errorf("Content-Encoding: got %q, want %q", got, tt.wantEncoding)
			}
			body := w.Body.Bytes()
			if tt.wantEncoding != "" {
				if body, err = Decrypt(body, tt.key); err != nil {
					t.Fatal(err)
				}
			}
			if diff := cmp.Diff(`{"name":"n","data":"d"}`, strings.TrimSpace(string(body))); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}

type plugin struct{ s *drone.Secret }

func (p plugin) Find(context.Context, *dronesecret.Request) (*drone.Secret, error) { return p.s, nil }
