package vaultkv

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hangar-ci/hangar/shared/envconf"
)

func TestOptionsFromEnv(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		env      map[string]string
		want     Options
		wantErrs []string // variable names every problem must name
	}{
		{"no address: Vault off", map[string]string{"VAULT_TOKEN": "x"}, Options{}, nil},
		{"token", map[string]string{"VAULT_ADDR": "http://v:8200", "VAULT_TOKEN": "t"}, Options{
			Addr: "http://v:8200", AuthType: AuthToken, Token: "t", KubeTokenPath: DefaultKubernetesTokenPath,
			Timeout: 10 * time.Second, MaxRetries: 2, MountCacheTTL: time.Minute,
		}, nil},
		{"approle, drone-vault names", map[string]string{
			"VAULT_ADDR": "http://v:8200", "VAULT_AUTH_TYPE": "approle", "VAULT_APPROLE_ID": "r", "VAULT_APPROLE_SECRET": "s",
			"VAULT_TOKEN_TTL": "72h", "VAULT_TOKEN_RENEWAL": "24h", "VAULT_AUTH_MOUNT_POINT": "ci-approle",
		}, Options{
			Addr: "http://v:8200", AuthType: AuthAppRole, AuthMount: "ci-approle", RoleID: "r", SecretID: "s",
			KubeTokenPath: DefaultKubernetesTokenPath, TokenTTL: 72 * time.Hour, Renewal: 24 * time.Hour,
			Timeout: 10 * time.Second, MaxRetries: 2, MountCacheTTL: time.Minute,
		}, nil},
		{"every problem at once", map[string]string{
			"VAULT_ADDR": "http://v:8200", "VAULT_AUTH_TYPE": "approle", "VAULT_TOKEN_TTL": "soon", "VAULT_CLIENT_CERT": "c.pem",
		}, Options{}, []string{"VAULT_TOKEN_TTL", "VAULT_APPROLE_ID", "VAULT_APPROLE_SECRET", "VAULT_CLIENT_CERT"}},
		{"unknown auth type", map[string]string{"VAULT_ADDR": "http://v", "VAULT_AUTH_TYPE": "ldap"}, Options{}, []string{"VAULT_AUTH_TYPE"}},
		{"kubernetes needs a role", map[string]string{"VAULT_ADDR": "http://v", "VAULT_AUTH_TYPE": "kubernetes"}, Options{}, []string{"VAULT_KUBERNETES_ROLE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := envconf.New(envconf.Map(tt.env))
			got := OptionsFromEnv(r)
			err := r.Err()
			if len(tt.wantErrs) == 0 {
				if err != nil {
					t.Fatalf("error: got %v, want none", err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("options (-want +got):\n%s", diff)
				}
				return
			}
			if err == nil {
				t.Fatalf("error: got none, want problems with %v", tt.wantErrs)
			}
			for _, name := range tt.wantErrs {
				if !strings.Contains(err.Error(), name) {
					t.Errorf("error %q does not name %s", err, name)
				}
			}
		})
	}
}

func TestCleanPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		err      error
	}{
		{"secret/data/docker", "secret/data/docker", nil},
		{"/secret/docker/", "secret/docker", nil},
		{"", "", ErrInvalidPath},
		{"/", "", ErrInvalidPath},
		{"secret/../sys/mounts", "", ErrInvalidPath},
		{"secret//docker", "", ErrInvalidPath},
		{"secret/./docker", "", ErrInvalidPath},
		{"secret/docker?version=1", "", ErrInvalidPath},
		{"secret/%2e%2e/x", "", ErrInvalidPath},
		{"secret/do\ncker", "", ErrInvalidPath},
	}
	for _, tt := range tests {
		got, err := cleanPath(tt.in)
		if !errors.Is(err, tt.err) || got != tt.want {
			t.Errorf("cleanPath(%q): got %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}
