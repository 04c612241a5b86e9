package vaulttest

import (
	"testing"
	"time"

	"github.com/hashicorp/vault/api"
)

var apiEnableAuth = api.EnableAuthOptions{Type: "approle"}

// Mount enables a KV mount of the given version (1 or 2) at path.
func (s *Server) Mount(t testing.TB, path string, version int) {
	t.Helper()
	_, err := s.Client.Logical().WriteWithContext(Ctx(t), "sys/mounts/"+path, map[string]any{
		"type": "kv", "options": map[string]any{"version": itoa(version)},
	})
	if err != nil {
		t.Fatalf("mount %s: %v", path, err)
	}
}

// Write writes data at a raw API path (secret/data/x needs {"data": …}).
func (s *Server) Write(t testing.TB, path string, data map[string]any) {
	t.Helper()
	if _, err := s.Client.Logical().WriteWithContext(Ctx(t), path, data); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
}

// Policy writes an ACL policy.
func (s *Server) Policy(t testing.TB, name, hcl string) {
	t.Helper()
	if err := s.Client.Sys().PutPolicyWithContext(Ctx(t), name, hcl); err != nil {
		t.Fatalf("policy %s: %v", name, err)
	}
}

// AppRole enables AppRole auth (once) and creates role with the given
// policies and token TTLs, with fixed role and secret ids so the same
// credentials work again after a Restart.
func (s *Server) AppRole(t testing.TB, role, roleID, secretID string, ttl, maxTTL time.Duration, policies ...string) {
	t.Helper()
	ctx := Ctx(t)
	auths, err := s.Client.Sys().ListAuthWithContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := auths["approle/"]; !ok {
		if err := s.Client.Sys().EnableAuthWithOptionsWithContext(ctx, "approle", &apiEnableAuth); err != nil {
			t.Fatalf("enable approle: %v", err)
		}
	}
	s.Write(t, "auth/approle/role/"+role, map[string]any{
		"token_policies": policies,
		"token_ttl":      int(ttl.Seconds()),
		"token_max_ttl":  int(maxTTL.Seconds()),
	})
	s.Write(t, "auth/approle/role/"+role+"/role-id", map[string]any{"role_id": roleID})
	s.Write(t, "auth/approle/role/"+role+"/custom-secret-id", map[string]any{"secret_id": secretID})
}

func itoa(v int) string {
	if v == 2 {
		return "2"
	}
	return "1"
}
