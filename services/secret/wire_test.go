package secret

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/drone/drone-go/drone"
	dronesecret "github.com/drone/drone-go/plugin/secret"

	"github.com/hangar-ci/hangar/shared/aesgcm"
	"github.com/hangar-ci/hangar/shared/httpsig"
)

const devSecrets = `
secret/data/docker:
  password: file-docker-password-2b9e
  X-Drone-Repos: octo/*
secret/data/npm:
  config: {registry: "https://npm.example", always-auth: true}
`

// TestFileBackend runs without Vault (make run's default): same rules,
// JSON for structured values, and an edit applies without a restart.
func TestFileBackend(t *testing.T) {
	t.Parallel()
	value("file-docker-password-2b9e")
	value("file-docker-password-rotated-6c1d")
	h := start(t, Options{File: DefaultFilePath}, map[string]string{DefaultFilePath: devSecrets})
	got, err := h.find(t, "secret/data/docker", "password", pushMain)
	if err != nil || got.Data != "file-docker-password-2b9e" {
		t.Fatalf("got %+v, %v; want the file's password", got, err)
	}
	if _, err := h.find(t, "secret/data/docker", "password", build{repo: "acme/api", event: "push", target: "main"}); status(err) != 404 {
		t.Errorf("other repo: got %d, want 404", status(err))
	}
	if _, err := h.find(t, "secret/data/docker", "password", build{repo: "octo/api", event: "pull_request", target: "main", source: "x", fork: "eve/api"}); status(err) != 404 {
		t.Errorf("fork: got %d, want 404", status(err))
	}
	got, err = h.find(t, "secret/data/npm", "config", pushMain)
	if err != nil || got.Data != `{"always-auth":true,"registry":"https://npm.example"}` {
		t.Errorf("JSON value: got %+v, %v", got, err)
	}
	h.write(t, DefaultFilePath, strings.Replace(devSecrets, "file-docker-password-2b9e", "file-docker-password-rotated-6c1d", 1))
	got, err = h.find(t, "secret/data/docker", "password", pushMain)
	if err != nil || got.Data != "file-docker-password-rotated-6c1d" {
		t.Errorf("after the edit: got %+v, %v; want the new password", got, err)
	}
	// A file broken by a value in the wrong place: 503, and the message
	// (also logged) must not quote the value.
	h.write(t, DefaultFilePath, "secret/data/docker: "+value("misplaced-value-1f3a")+"\n")
	_, err = h.find(t, "secret/data/docker", "password", pushMain)
	if status(err) != http.StatusServiceUnavailable || strings.Contains(err.Error(), "misplaced-value") {
		t.Errorf("broken file: got %d %q, want 503 without the value", status(err), err)
	}
}

// signed sends a request signed as drone-go signs it, with the given
// Accept-Encoding, and returns the response.
func signed(t *testing.T, url, secret, acceptEncoding string, body []byte) *http.Response {
	t.Helper()
	r, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Accept", dronesecret.V1)
	r.Header.Set("Accept-Encoding", acceptEncoding)
	r.Header.Set("Content-Type", "application/json")
	if err := httpsig.Sign(r, body, secret, httpsig.ExtensionHeaders, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestWire(t *testing.T) {
	t.Parallel()
	h := start(t, Options{}, map[string]string{DefaultFilePath: devSecrets})
	body, _ := json.Marshal(pushMain.request("secret/data/docker", "password"))

	t.Run("aesgcm answer", func(t *testing.T) {
		t.Parallel()
		resp := signed(t, h.URL, testSecret, "aesgcm", body)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "aesgcm" || resp.Header.Get("Content-Type") != "application/octet-stream" {
			t.Fatalf("got %d %q %q, want 200 aesgcm octet-stream", resp.StatusCode, resp.Header.Get("Content-Encoding"), resp.Header.Get("Content-Type"))
		}
		raw, _ := io.ReadAll(resp.Body)
		if bytes.Contains(raw, []byte("file-docker-password")) {
			t.Fatal("encrypted body holds the plaintext value")
		}
		key, _ := aesgcm.KeyFrom(testSecret)
		plain, err := aesgcm.Decrypt(raw, key)
		if err != nil {
			t.Fatal(err)
		}
		var s drone.Secret
		if err := json.Unmarshal(plain, &s); err != nil || s.Data != "file-docker-password-2b9e" {
			t.Errorf("decrypted: got %+v, %v", s, err)
		}
	})
	t.Run("identity answer", func(t *testing.T) {
		t.Parallel()
		resp := signed(t, h.URL, testSecret, "identity", body)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "" {
			t.Errorf("got %d %q, want 200 unencrypted", resp.StatusCode, resp.Header.Get("Content-Encoding"))
		}
	})
	t.Run("mounted path in hangar all", func(t *testing.T) {
		t.Parallel()
		if resp := signed(t, h.URL+"/secret", testSecret, "identity", body); resp.StatusCode != 200 {
			t.Errorf("POST /secret: got %d, want 200", resp.StatusCode)
		}
	})
	t.Run("wrong shared secret", func(t *testing.T) {
		t.Parallel()
		resp := signed(t, h.URL, "not-the-secret-not-the-secret-00", "identity", body)
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 401 || bytes.Contains(raw, []byte("file-docker")) {
			t.Errorf("got %d %q, want 401 without the value", resp.StatusCode, raw)
		}
	})
	t.Run("bad JSON", func(t *testing.T) {
		t.Parallel()
		if resp := signed(t, h.URL, testSecret, "identity", []byte(`{"path":`)); resp.StatusCode != 400 {
			t.Errorf("got %d, want 400", resp.StatusCode)
		}
	})
	t.Run("short secret refuses aesgcm", func(t *testing.T) {
		t.Parallel()
		short := start(t, Options{Signature: httpsig.Settings{Secret: "short-secret"}}, map[string]string{DefaultFilePath: devSecrets})
		if resp := signed(t, short.URL, "short-secret", "aesgcm", body); resp.StatusCode != 500 {
			t.Errorf("got %d, want 500", resp.StatusCode)
		}
		if _, err := short.find(t, "secret/data/docker", "password", pushMain); err != nil {
			t.Errorf("identity with a short secret: %v", err)
		}
	})
}
