package secret

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	vaultapi "github.com/hashicorp/vault/api"

	"github.com/hangar-ci/hangar/shared/vaultkv"
	"github.com/hangar-ci/hangar/shared/vaulttest"
)

// readPolicy lets a token read (only) every secret/ and kv1/ secret.
const readPolicy = `
path "secret/data/*" { capabilities = ["read"] }
path "kv1/*" { capabilities = ["read"] }
`

// appRole seeds v with secrets, a read-only policy and an AppRole whose
// fixed ids survive a Restart (re-seeded by the test).
func appRole(t *testing.T, v *vaulttest.Server, ttl, maxTTL time.Duration) vaultkv.Options {
	t.Helper()
	seed(t, v)
	v.Policy(t, "hangar-read", readPolicy)
	secretID := value("approle-secret-id-5f6e7d8c")
	v.AppRole(t, "hangar", "hangar-role-id", secretID, ttl, maxTTL, "hangar-read")
	return vaultkv.Options{
		Addr: v.Addr, AuthType: vaultkv.AuthAppRole, RoleID: "hangar-role-id", SecretID: secretID,
		Timeout: 5 * time.Second,
	}
}

func TestAppRole(t *testing.T) {
	t.Parallel()
	v := vaulttest.Start(t)
	h := start(t, Options{Vault: appRole(t, v, time.Hour, 2*time.Hour)}, nil)
	for _, path := range []string{"secret/docker", "kv1/docker"} {
		got, err := h.find(t, path, "password", pushMain)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if !strings.HasPrefix(got.Data, "v") {
			t.Errorf("%s: got %q, want the seeded password", path, got.Data)
		}
	}
	if n := strings.Count(h.logs.String(), `"vault: logged in"`); n != 1 {
		t.Errorf("logins: got %d, want 1", n)
	}
	if !strings.Contains(h.logs.String(), `"method":"approle"`) {
		t.Error("login log line does not name the approle method")
	}
}

// TestRenewalAndRelogin gives the AppRole token a 2 s TTL and a 5 s max
// TTL: the service must renew it, log in again when Vault caps a renewal,
// and keep answering all along.
func TestRenewalAndRelogin(t *testing.T) {
	t.Parallel()
	v := vaulttest.Start(t)
	opts := appRole(t, v, 2*time.Second, 5*time.Second)
	opts.TokenTTL = 2 * time.Second
	opts.Renewal = time.Second
	h := start(t, Options{Vault: opts}, nil)
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := h.find(t, "secret/docker", "password", pushMain); err != nil {
			t.Fatalf("lookup during renewal: %v", err)
		}
		logs := h.logs.String()
		renewed := strings.Count(logs, `"vault: token renewed"`)
		logins := strings.Count(logs, `"vault: logged in"`)
		if renewed >= 2 && logins >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 60 s: got %d renewals and %d logins, want at least 2 and 3", renewed, logins)
		}
		time.Sleep(250 * time.Millisecond)
	}
	if !strings.Contains(h.logs.String(), "near its max TTL") {
		t.Error("no re-login because of the max TTL was logged")
	}
}

// TestVaultRestart stops Vault under a running service and starts it
// again: lookups fail with 503 and the reason, /readyz reports Vault, and
// both recover without restarting Hangar (the new dev server has lost the
// old token, so the service must log in again by itself).
func TestVaultRestart(t *testing.T) {
	t.Parallel()
	v := vaulttest.Start(t)
	opts := appRole(t, v, time.Hour, 2*time.Hour)
	h := start(t, Options{Vault: opts}, nil)
	if _, err := h.find(t, "secret/docker", "password", pushMain); err != nil {
		t.Fatal(err)
	}
	if code, body := get(t, h.URL+"/readyz"); code != 200 {
		t.Fatalf("/readyz before the stop: got %d %s, want 200", code, body)
	}

	v.Stop()
	_, err := h.find(t, "secret/docker", "password", pushMain)
	if status(err) != http.StatusServiceUnavailable {
		t.Fatalf("status with Vault stopped: got %d (%v), want 503", status(err), err)
	}
	if msg := err.Error(); !strings.Contains(msg, "connection refused") {
		t.Errorf("503 message: got %q, want the reason (connection refused)", msg)
	}
	code, body := get(t, h.URL+"/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "vault unreachable") {
		t.Errorf("/readyz with Vault stopped: got %d %s, want 503 naming vault", code, body)
	}

	v.Restart()
	appRole(t, v, time.Hour, 2*time.Hour)
	got, err := h.find(t, "secret/docker", "password", pushMain)
	if err != nil {
		t.Fatalf("after the restart: %v", err)
	}
	if got.Data != "v2-docker-password-4d1f" {
		t.Errorf("after the restart: got %q, want the seeded password", got.Data)
	}
	if code, body := get(t, h.URL+"/readyz"); code != 200 {
		t.Errorf("/readyz after the restart: got %d %s, want 200", code, body)
	}
	if n := strings.Count(h.logs.String(), `"vault: logged in"`); n < 2 {
		t.Errorf("logins: got %d, want a second one after the restart", n)
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestKubernetesAuth logs in through Vault's real Kubernetes auth plugin,
// which asks an httptest TokenReview API (answering as the Kubernetes API
// does) whether the service-account JWT is valid.
func TestKubernetesAuth(t *testing.T) {
	t.Parallel()
	v := vaulttest.Start(t)
	seed(t, v)
	v.Policy(t, "hangar-read", readPolicy)
	var reviews atomic.Int32
	kube := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/apis/authentication.k8s.io/v1/tokenreviews" {
			http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusNotFound)
			return
		}
		reviews.Add(1)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","status":{"authenticated":true,"user":{"username":"system:serviceaccount:ci:hangar","uid":"uid-123"}}}`)
	}))
	t.Cleanup(kube.Close)
	ctx := context.Background()
	if err := v.Client.Sys().EnableAuthWithOptionsWithContext(ctx, "kubernetes", &vaultEnableKube); err != nil {
		t.Fatalf("enable kubernetes auth (plugin from bin/vault-plugins): %v", err)
	}
	v.Write(t, "auth/kubernetes/config", map[string]any{
		"kubernetes_host": kube.URL, "token_reviewer_jwt": "reviewer", "disable_local_ca_jwt": true,
	})
	v.Write(t, "auth/kubernetes/role/hangar", map[string]any{
		"bound_service_account_names": "hangar", "bound_service_account_namespaces": "ci",
		"token_policies": "hangar-read", "token_ttl": "1h",
	})
	jwtPath := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(jwtPath, []byte(serviceAccountJWT(t, "ci", "hangar", "uid-123")), 0o600); err != nil {
		t.Fatal(err)
	}
	h := start(t, Options{Vault: vaultkv.Options{
		Addr: v.Addr, AuthType: vaultkv.AuthKubernetes, KubeRole: "hangar", KubeTokenPath: jwtPath, Timeout: 5 * time.Second,
	}}, nil)
	got, err := h.find(t, "kv1/docker", "password", pushMain)
	if err != nil {
		t.Fatal(err)
	}
	if got.Data != "v1-docker-password-9a2c" {
		t.Errorf("data: got %q, want the seeded password", got.Data)
	}
	if reviews.Load() == 0 {
		t.Error("the TokenReview API was never asked, want Vault to review the JWT")
	}
}

// serviceAccountJWT returns an RS256 JWS with the claims Vault's
// Kubernetes auth reads (its signature is only checked with pem_keys set).
func serviceAccountJWT(t *testing.T, ns, name, uid string) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	head := enc(map[string]string{"alg": "RS256", "typ": "JWT"})
	claims := enc(map[string]any{
		"iss":                                    "kubernetes/serviceaccount",
		"sub":                                    "system:serviceaccount:" + ns + ":" + name,
		"kubernetes.io/serviceaccount/namespace": ns,
		"kubernetes.io/serviceaccount/service-account.name": name,
		"kubernetes.io/serviceaccount/service-account.uid":  uid,
		"kubernetes.io/serviceaccount/secret.name":          name + "-token",
	})
	sum := sha256.Sum256([]byte(head + "." + claims))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return head + "." + claims + "." + base64.RawURLEncoding.EncodeToString(sig)
}

var vaultEnableKube = vaultapi.EnableAuthOptions{Type: "kubernetes"}

// TestTokenRenewal gives the service a fixed 3 s renewable token, renewed
// every second: it must keep answering well past the first TTL.
func TestTokenRenewal(t *testing.T) {
	t.Parallel()
	v := vaulttest.Start(t)
	seed(t, v)
	v.Policy(t, "hangar-read", readPolicy)
	tok, err := v.Client.Auth().Token().CreateWithContext(context.Background(), &vaultapi.TokenCreateRequest{
		Policies: []string{"hangar-read"}, TTL: "3s", Renewable: new(true), NoParent: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	token := value(tok.Auth.ClientToken)
	opts := vaultOptions(v.Addr, token)
	opts.Renewal = time.Second
	h := start(t, Options{Vault: opts}, nil)
	end := time.Now().Add(5 * time.Second)
	for time.Now().Before(end) {
		if _, err := h.find(t, "secret/docker", "password", pushMain); err != nil {
			t.Fatalf("lookup while the token is being renewed: %v", err)
		}
		time.Sleep(250 * time.Millisecond)
	}
	if n := strings.Count(h.logs.String(), `"vault: token renewed"`); n < 2 {
		t.Errorf("renewals: got %d, want at least 2 within 5 s of a 3 s token", n)
	}
}
