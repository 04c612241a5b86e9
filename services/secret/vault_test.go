package secret

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hangar-ci/hangar/shared/vaulttest"
)

// seed mounts a KV v1 engine at kv1/ (secret/ is KV v2 in dev mode) and
// writes the secrets the tests read.
func seed(t *testing.T, v *vaulttest.Server) {
	t.Helper()
	v.Mount(t, "kv1", 1)
	v.Write(t, "secret/data/docker", map[string]any{"data": map[string]any{
		"username": "octo-bot",
		"password": value("v2-docker-password-4d1f"),
	}})
	v.Write(t, "kv1/docker", map[string]any{
		"password": value("v1-docker-password-9a2c"),
	})
	v.Write(t, "secret/data/json", map[string]any{"data": map[string]any{
		"config":  map[string]any{"registry": value("https://npm.internal.example/7c1e"), "always-auth": true},
		"retries": 5,
		"enabled": true,
	}})
}

func TestVaultKV(t *testing.T) {
	t.Parallel()
	v := vaulttest.Start(t)
	seed(t, v)
	v.Write(t, "secret/data/deleted", map[string]any{"data": map[string]any{"password": value("deleted-version-c3d2")}})
	if _, err := v.Client.Logical().DeleteWithContext(vaulttest.Ctx(t), "secret/data/deleted"); err != nil {
		t.Fatal(err)
	}
	h := start(t, Options{Vault: vaultOptions(v.Addr, vaulttest.RootToken)}, nil)
	tests := []struct {
		name, path, key string
		wantStatus      int
		wantData        string
	}{
		{"KV v2 API form", "secret/data/docker", "password", 200, "v2-docker-password-4d1f"},
		{"KV v2 short form", "secret/docker", "password", 200, "v2-docker-password-4d1f"},
		{"KV v2 leading slash", "/secret/docker", "username", 200, "octo-bot"},
		{"KV v1", "kv1/docker", "password", 200, "v1-docker-password-9a2c"},
		{"JSON object value", "secret/data/json", "config", 200, `{"always-auth":true,"registry":"https://npm.internal.example/7c1e"}`},
		{"number value", "secret/json", "retries", 200, "5"},
		{"boolean value", "secret/json", "enabled", 200, "true"},
		{"missing secret", "secret/data/nope", "password", 404, ""},
		{"missing key", "secret/data/docker", "token", 404, ""},
		{"deleted KV v2 version", "secret/data/deleted", "password", 404, ""},
		{"missing KV v1 secret", "kv1/nope", "password", 404, ""},
		{"no such mount", "nomount/docker", "password", 404, ""},
		{"mount itself", "secret", "password", 400, ""},
		{"v2 secret named data", "secret/data", "password", 404, ""},
		{"traversal", "secret/../sys/mounts", "password", 400, ""},
		{"no path", "", "password", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := h.find(t, tt.path, tt.key, pushMain)
			if s := status(err); s != tt.wantStatus {
				t.Fatalf("status: got %d (%v), want %d", s, err, tt.wantStatus)
			}
			if tt.wantStatus != http.StatusOK {
				return
			}
			if got.Data != tt.wantData {
				t.Errorf("data: got %q, want %q", got.Data, tt.wantData)
			}
			if got.Name != tt.key {
				t.Errorf("name: got %q, want %q", got.Name, tt.key)
			}
		})
	}
	t.Run("star returns every key but restrictions", func(t *testing.T) {
		t.Parallel()
		v.Write(t, "secret/data/star", map[string]any{"data": map[string]any{
			"a": value("star-a-value-81f0"), "X-Drone-Repos": "octo/*",
		}})
		got, err := h.find(t, "secret/star", "*", pushMain)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(`{"a":"star-a-value-81f0"}`, got.Data); diff != "" {
			t.Errorf("data (-want +got):\n%s", diff)
		}
	})
	t.Run("restriction keys are not values", func(t *testing.T) {
		t.Parallel()
		v.Write(t, "secret/data/keyed", map[string]any{"data": map[string]any{"X-Drone-Repos": "octo/*"}})
		if _, err := h.find(t, "secret/keyed", "X-Drone-Repos", pushMain); status(err) != 404 {
			t.Errorf("status: got %d, want 404", status(err))
		}
	})
}
