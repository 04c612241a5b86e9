package vaultkv

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/hangar-ci/hangar/shared/vaulttest"
)

// TestReloginRevokesReplacedToken logs in with AppRole against a real
// Vault, logs in again, and checks Vault refuses the replaced token while
// the new one works: a leaked old token must not outlive the switch.
func TestReloginRevokesReplacedToken(t *testing.T) {
	t.Parallel()
	v := vaulttest.Start(t)
	v.Policy(t, "reader", `path "secret/*" { capabilities = ["read"] }`)
	v.AppRole(t, "hangar", "role-id", "secret-id-9a8b7c", time.Hour, 2*time.Hour, "reader")
	c, err := New(Options{Addr: v.Addr, AuthType: AuthAppRole, RoleID: "role-id", SecretID: "secret-id-9a8b7c", Timeout: 5 * time.Second},
		slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.relogin(ctx, c.generation()); err != nil {
		t.Fatal(err)
	}
	old := c.api.Token()
	if err := c.relogin(ctx, c.generation()); err != nil {
		t.Fatal(err)
	}
	fresh := c.api.Token()
	if fresh == old || fresh == "" {
		t.Fatal("the second login did not replace the token")
	}
	alive := func(token string) bool {
		rc, err := v.Client.Clone()
		if err != nil {
			t.Fatal(err)
		}
		rc.SetToken(token)
		_, err = rc.Auth().Token().LookupSelfWithContext(ctx)
		return err == nil
	}
	deadline := time.Now().Add(10 * time.Second)
	for alive(old) {
		if time.Now().After(deadline) {
			t.Fatal("the replaced token still works 10 s after the new login, want it revoked")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !alive(fresh) {
		t.Error("the new token does not work")
	}
}
