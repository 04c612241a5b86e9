package deploy

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drone/drone-go/drone"
	"github.com/drone/drone-go/plugin/secret"
	vaultapi "github.com/hashicorp/vault/api"

	"github.com/hangar-ci/hangar/shared/sqldb"
	"github.com/hangar-ci/hangar/shared/vaulttest"
)

// checkVaultKubernetesAuth proves the chart's Vault set-up end to end with
// real parts: a Vault dev server configured as deploy/README.md says (the
// Kubernetes auth role, the policy, no token_reviewer_jwt), reviewing
// logins against the test control plane's apiserver with the client's own
// token. Hangar, run with the chart's command and environment and the
// release's ServiceAccount token (from the TokenRequest API, as the kubelet
// would mount it), logs in and serves a secret through drone-go's client;
// a ServiceAccount without the chart's auth-delegator binding is refused.
func (r release) checkVaultKubernetesAuth(t *testing.T, cp *controlPlane) {
	t.Helper()
	v := vaulttest.Start(t)
	ctx := context.Background()
	if err := v.Client.Sys().EnableAuthWithOptionsWithContext(ctx, "kubernetes", &vaultapi.EnableAuthOptions{Type: "kubernetes"}); err != nil {
		t.Fatalf("enable kubernetes auth: %v", err)
	}
	ca, err := os.ReadFile(cp.caFile)
	if err != nil {
		t.Fatal(err)
	}
	v.Write(t, "auth/kubernetes/config", map[string]any{
		"kubernetes_host": cp.server, "kubernetes_ca_cert": string(ca), "disable_local_ca_jwt": true,
	})
	v.Policy(t, "hangar-secrets", `path "secret/data/drone/*" { capabilities = ["read"] }`)
	v.Write(t, "auth/kubernetes/role/hangar", map[string]any{
		"bound_service_account_names": "hangar", "bound_service_account_namespaces": r.namespace,
		"token_policies": "hangar-secrets", "ttl": "1h",
	})
	v.Write(t, "secret/data/drone/docker", map[string]any{"data": map[string]any{"password": "vault-k8s-" + randomHex(8)}})

	// Without system:auth-delegator the apiserver refuses Vault's review.
	plain := "vault-plain-" + strings.TrimPrefix(r.namespace, "hangar-")
	if err := cp.api.do(http.MethodPost, "/api/v1/namespaces", map[string]any{
		"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": plain},
	}, nil); err != nil {
		t.Fatal(err)
	}
	if err := cp.api.do(http.MethodPost, "/api/v1/namespaces/"+plain+"/serviceaccounts", map[string]any{
		"apiVersion": "v1", "kind": "ServiceAccount", "metadata": map[string]any{"name": "hangar"},
	}, nil); err != nil {
		t.Fatal(err)
	}
	v.Write(t, "auth/kubernetes/role/plain", map[string]any{
		"bound_service_account_names": "hangar", "bound_service_account_namespaces": plain,
		"token_policies": "hangar-secrets", "ttl": "1h",
	})
	_, err = v.Client.Logical().WriteWithContext(ctx, "auth/kubernetes/login", map[string]any{
		"role": "plain", "jwt": cp.serviceAccountToken(t, plain, "hangar"),
	})
	if err == nil {
		t.Error("a ServiceAccount without the auth-delegator binding logged in: the binding would not be needed")
	}

	// Hangar as the chart runs it, with the release's ServiceAccount token.
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(cp.serviceAccountToken(t, r.namespace, "hangar")), 0o600); err != nil {
		t.Fatal(err)
	}
	shared := randomHex(32)
	secrets := map[string]string{
		"hangar/DRONE_SECRET": shared, "hangar/DRONE_RPC_SECRET": randomHex(32),
		"hangar/DRONE_DATABASE_SECRET": randomHex(16), "hangar/DRONE_COOKIE_SECRET": randomHex(16),
		"hangar-db/dsn": sqldb.TestPostgresDSN(t),
	}
	core := index(render(t, r.values))["Deployment/hangar"]
	c := at(core, "spec", "template", "spec", "containers", 0)
	env := chartEnv(t, c, secrets)
	for i, kv := range env {
		if strings.HasPrefix(kv, "VAULT_ADDR=") {
			env[i] = "VAULT_ADDR=" + v.Addr // the cluster's Vault Service, here
		}
	}
	env = append(env, "VAULT_KUBERNETES_TOKEN_PATH="+tokenFile) // the kubelet's mount, here
	addr := runChartContainer(t, "hangar", toStrings(list(c, "args")), env)

	got, err := secret.Client("http://"+addr+"/secret", shared, false).Find(ctx, &secret.Request{
		Path: "secret/data/drone/docker", Name: "password",
		Repo:  drone.Repo{Slug: "octo/hello", Namespace: "octo", Name: "hello", Branch: "main"},
		Build: drone.Build{Event: "push", Source: "main", Target: "main", Ref: "refs/heads/main"},
	})
	if err != nil {
		t.Fatalf("secret through Hangar logged in with Kubernetes auth: %v", err)
	}
	if !strings.HasPrefix(got.Data, "vault-k8s-") {
		t.Errorf("secret: got %q, want the value written to Vault", got.Data)
	}
}

// serviceAccountToken asks the TokenRequest API for a token of a
// ServiceAccount, as the kubelet does for a pod's projected volume.
func (cp *controlPlane) serviceAccountToken(t *testing.T, namespace, name string) string {
	t.Helper()
	var tr struct {
		Status struct {
			Token string `json:"token"`
		} `json:"status"`
	}
	if err := cp.api.do(http.MethodPost, "/api/v1/namespaces/"+namespace+"/serviceaccounts/"+name+"/token", map[string]any{
		"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
		"spec": map[string]any{"expirationSeconds": 3600},
	}, &tr); err != nil {
		t.Fatal(err)
	}
	if tr.Status.Token == "" {
		t.Fatal("TokenRequest answered no token")
	}
	return tr.Status.Token
}
