package secret

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hangar-ci/hangar/shared/envconf"
	"github.com/hangar-ci/hangar/shared/vaulttest"
)

// TestVaultTLS reaches a Vault that serves HTTPS with its own CA, configured
// through the Vault CLI's variable names; without the CA the lookup is a
// 503 naming the certificate problem.
func TestVaultTLS(t *testing.T) {
	t.Parallel()
	v := vaulttest.Start(t, vaulttest.WithTLS())
	v.Write(t, "secret/data/tls", map[string]any{"data": map[string]any{"v": value("over-tls-value-2e8a")}})
	env := map[string]string{
		"DRONE_SECRET_PLUGIN_TOKEN": testSecret,
		"VAULT_ADDR":                v.Addr,
		"VAULT_TOKEN":               vaulttest.RootToken,
		"VAULT_CACERT":              v.CACert,
		"VAULT_TLS_SERVER_NAME":     "localhost",
		"VAULT_MAX_RETRIES":         "0",
	}
	opts, err := OptionsFromEnv(envconf.Map(env))
	if err != nil {
		t.Fatal(err)
	}
	h := start(t, opts, nil)
	got, err := h.find(t, "secret/tls", "v", pushMain)
	if err != nil || got.Data != "over-tls-value-2e8a" {
		t.Fatalf("with VAULT_CACERT: got %+v, %v; want the value", got, err)
	}

	delete(env, "VAULT_CACERT")
	opts, err = OptionsFromEnv(envconf.Map(env))
	if err != nil {
		t.Fatal(err)
	}
	opts.Vault.Timeout = 5 * time.Second
	untrusting := start(t, opts, nil)
	_, err = untrusting.find(t, "secret/tls", "v", pushMain)
	if status(err) != http.StatusServiceUnavailable || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("without the CA: got %d %v, want 503 naming the certificate", status(err), err)
	}
}
