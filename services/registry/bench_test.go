package registry

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	droneregistry "github.com/drone/drone-go/plugin/registry"
)

// BenchmarkList measures a registry list through Hangar (drone-go's
// client, signature, real HTTP, the file's entries matched against the
// build) beside bare-hop, drone-go's client against a net/http handler
// answering a constant list, in the same run.
func BenchmarkList(b *testing.B) {
	h := start(b, Options{}, map[string]string{DefaultFilePath: registriesFile})
	repo, bd := build{repo: "acme/web", event: "push", target: "main"}.objects()
	req := &droneregistry.Request{Repo: repo, Build: bd}
	ctx := context.Background()
	b.Run("bare-hop", func(b *testing.B) {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `[{"address":"ghcr.io","username":"u","password":"p"}]`)
		}))
		defer ts.Close()
		c := droneregistry.Client(ts.URL, testSecret, false)
		for b.Loop() {
			if _, err := c.List(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("hangar", func(b *testing.B) {
		for b.Loop() {
			rs, err := h.Registry.List(ctx, req)
			if err != nil || len(rs) != 2 {
				b.Fatalf("got %d entries, %v; want 2", len(rs), err)
			}
		}
	})
}
