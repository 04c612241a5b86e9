package registry

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/drone/drone-go/drone"
	dronesecret "github.com/drone/drone-go/plugin/secret"
	"github.com/google/go-cmp/cmp"

	"github.com/hangar-ci/hangar/shared/vaultkv"
	"github.com/hangar-ci/hangar/shared/vaulttest"
)

var registriesFile = `
registries:
  - address: registry.example.com
    username: octo-bot
    password: ` + value("file-octo-password-1a9c") + `
    repos: ["octo/*"]
  - address: ghcr.io
    username: acme-bot
    password: ` + value("file-acme-password-7e2b") + `
    repos: ["acme/*"]
    branches: ["main"]
    events: ["push", "tag"]
  - address: public.example.com
    username: anyone
    password: ` + value("file-public-password-0c4d") + `
    forks: true
`

func addresses(rs []*drone.Registry) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.Address)
	}
	return out
}

func TestFileEntries(t *testing.T) {
	t.Parallel()
	h := start(t, Options{}, map[string]string{DefaultFilePath: registriesFile})
	tests := []struct {
		name string
		b    build
		want []string
	}{
		{"octo push", build{repo: "octo/api", event: "push", target: "dev"}, []string{"registry.example.com", "public.example.com"}},
		{"acme main push", build{repo: "acme/web", event: "push", target: "main"}, []string{"ghcr.io", "public.example.com"}},
		{"acme other branch", build{repo: "acme/web", event: "push", target: "dev"}, []string{"public.example.com"}},
		{"acme PR from a feature branch into main", build{repo: "acme/web", event: "pull_request", target: "main", source: "x"}, []string{"public.example.com"}},
		{"fork PR gets only fork-allowed entries", build{repo: "octo/api", event: "pull_request", target: "main", source: "main", fork: "eve/api"}, []string{"public.example.com"}},
		{"other repo", build{repo: "eve/api", event: "push", target: "main"}, []string{"public.example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := h.list(t, tt.b)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, addresses(got)); diff != "" {
				t.Errorf("addresses (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("credentials", func(t *testing.T) {
		t.Parallel()
		got, err := h.list(t, build{repo: "octo/api", event: "push", target: "main"})
		if err != nil {
			t.Fatal(err)
		}
		want := &drone.Registry{Address: "registry.example.com", Username: "octo-bot", Password: "file-octo-password-1a9c"}
		if diff := cmp.Diff(want, got[0]); diff != "" {
			t.Errorf("entry (-want +got):\n%s", diff)
		}
	})
	t.Run("docker config through the secret request", func(t *testing.T) {
		t.Parallel()
		repo, b := build{repo: "acme/web", event: "push", target: "main"}.objects()
		s, err := h.Secret.Find(context.Background(), &dronesecret.Request{Name: "dockerconfig", Repo: repo, Build: b})
		if err != nil {
			t.Fatal(err)
		}
		var cfg struct {
			Auths map[string]struct{ Auth string } `json:"auths"`
		}
		if err := json.Unmarshal([]byte(s.Data), &cfg); err != nil {
			t.Fatalf("data is not a docker config.json: %v", err)
		}
		got := map[string]string{}
		for addr, a := range cfg.Auths {
			dec, _ := base64.StdEncoding.DecodeString(a.Auth)
			got[addr] = string(dec)
		}
		want := map[string]string{"ghcr.io": "acme-bot:file-acme-password-7e2b", "public.example.com": "anyone:file-public-password-0c4d"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("auths (-want +got):\n%s", diff)
		}
		if s.Name != "dockerconfig" {
			t.Errorf("name: got %q, want dockerconfig", s.Name)
		}
	})
	t.Run("broken file is a 503 without the password", func(t *testing.T) {
		h2 := start(t, Options{}, map[string]string{DefaultFilePath: "registries:\n  - address: x\n    password: [" + value("broken-file-password-3f3f") + "\n"})
		_, err := h2.list(t, build{repo: "octo/api", event: "push", target: "main"})
		if status(err) != http.StatusServiceUnavailable {
			t.Errorf("status: got %d (%v), want 503", status(err), err)
		}
	})
}

func TestVaultEntries(t *testing.T) {
	t.Parallel()
	v := vaulttest.Start(t)
	v.Mount(t, "kv1", 1)
	v.Write(t, "secret/data/registry/octo", map[string]any{"data": map[string]any{
		"address": "registry.example.com", "username": "octo-bot", "password": value("vault-octo-password-8d1e"),
		"X-Drone-Repos": "octo/*", "X-Drone-Events": "push,tag",
	}})
	v.Write(t, "kv1/registry/acme", map[string]any{
		"address": "ghcr.io", "username": "acme-bot", "password": value("vault-acme-password-2c7a"),
		"X-Drone-Repos": "acme/*", "X-Drone-Branches": "main",
	})
	h := start(t, Options{
		Vault:      vaultkv.Options{Addr: v.Addr, AuthType: vaultkv.AuthToken, Token: vaulttest.RootToken, Timeout: 5 * time.Second},
		VaultPaths: []string{"secret/registry/octo", "kv1/registry/acme", "secret/registry/gone"},
	}, nil)
	tests := []struct {
		name string
		b    build
		want []string
	}{
		{"octo push", build{repo: "octo/api", event: "push", target: "dev"}, []string{"registry.example.com"}},
		{"octo PR refused by event", build{repo: "octo/api", event: "pull_request", target: "main", source: "main"}, []string{}},
		{"acme main", build{repo: "acme/web", event: "push", target: "main"}, []string{"ghcr.io"}},
		{"acme PR from feature", build{repo: "acme/web", event: "pull_request", target: "main", source: "f"}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := h.list(t, tt.b)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, addresses(got)); diff != "" {
				t.Errorf("addresses (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("Vault stopped", func(t *testing.T) {
		// Its own Vault, so stopping it cannot disturb the subtests above.
		v2 := vaulttest.Start(t)
		v2.Write(t, "secret/data/r", map[string]any{"data": map[string]any{"address": "a.example", "password": value("stopped-vault-password-5b5b")}})
		h2 := start(t, Options{
			Vault:      vaultkv.Options{Addr: v2.Addr, AuthType: vaultkv.AuthToken, Token: vaulttest.RootToken, Timeout: 5 * time.Second},
			VaultPaths: []string{"secret/r"},
		}, nil)
		if got, err := h2.list(t, build{repo: "octo/api", event: "push", target: "main"}); err != nil || len(got) != 1 {
			t.Fatalf("before the stop: got %v, %v; want one entry", addresses(got), err)
		}
		v2.Stop()
		if _, err := h2.list(t, build{repo: "octo/api", event: "push", target: "main"}); status(err) != http.StatusServiceUnavailable {
			t.Errorf("status with Vault stopped: got %d (%v), want 503", status(err), err)
		}
		if code, _ := get(t, h2.URL+"/readyz"); code != http.StatusServiceUnavailable {
			t.Errorf("/readyz with Vault stopped: got %d, want 503", code)
		}
	})
}
