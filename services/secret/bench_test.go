package secret

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	dronesecret "github.com/drone/drone-go/plugin/secret"

	"github.com/hangar-ci/hangar/shared/vaulttest"
)

// BenchmarkLookup compares one secret lookup through Hangar (drone-go's
// client, signature, real HTTP, restriction and policy checks, the Vault
// read) with a direct read of the same secret through the Vault client, in
// the same run against the same Vault. Target: hangar < 1.5× vault-direct.
// bare-hop is drone-go's client against a net/http handler answering a
// constant secret: the cost of the extra loopback hop alone, so
// hangar − vault-direct − bare-hop is what Hangar's own work costs.
// interleaved alternates one direct read and one Hangar lookup per
// iteration and reports their ratio (hangar/direct), which a load change
// during the run (2 shared cores) cannot skew the way it skews separate
// sub-benchmarks.
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
	b.Run("bare-hop", func(b *testing.B) {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"name":"password","data":"constant"}`)
		}))
		defer ts.Close()
		c := dronesecret.Client(ts.URL, testSecret, false)
		for b.Loop() {
			if _, err := c.Find(ctx, req); err != nil {
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
	b.Run("interleaved", func(b *testing.B) {
		var direct, hangar time.Duration
		for b.Loop() {
			t0 := time.Now()
			if s, err := v.Client.Logical().ReadWithContext(ctx, "secret/data/bench"); err != nil || s == nil {
				b.Fatal(err)
			}
			t1 := time.Now()
			if s, err := h.Client.Find(ctx, req); err != nil || s.Data == "" {
				b.Fatal(err)
			}
			direct += t1.Sub(t0)
			hangar += time.Since(t1)
		}
		b.ReportMetric(float64(direct.Nanoseconds())/float64(b.N), "direct-ns/op")
		b.ReportMetric(float64(hangar.Nanoseconds())/float64(b.N), "hangar-ns/op")
		b.ReportMetric(float64(hangar)/float64(direct), "hangar/direct")
	})
}
