package secret

import (
	"context"
	"testing"

	"github.com/hangar-ci/hangar/shared/vaulttest"
)

// BenchmarkLookup compares one secret lookup through Hangar (drone-go's
// client, signature, real HTTP, restriction and policy checks, the Vault
// read) with a direct read of the same secret through the Vault client, in
// the same run against the same Vault. Target: hangar < 1.5× vault-direct.
func BenchmarkLookup(b *testing.B) {
	v := vaulttest.Start(b)
	v.Write(b, "secret/data/bench", map[string]any{"data": map[string]any{
		"password": value("bench-password-0f0f"), "X-Drone-Repos": "octo/*",
	}})
	h := start(b, Options{Vault: vaultOptions(v.Addr, vaulttest.RootToken)}, map[string]string{DefaultPolicyPath: policy})
	req := pushMain.request("secret/data/bench", "password")
	ctx := context.Background()

	b.Run("vault-direct", func(b *testing.B) {
		for b.Loop() {
			s, err := v.Client.Logical().ReadWithContext(ctx, "secret/data/bench")
			if err != nil || s == nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("hangar", func(b *testing.B) {
		for b.Loop() {
			s, err := h.Client.Find(ctx, req)
			if err != nil || s.Data == "" {
				b.Fatal(err)
			}
		}
	})
}
