package secret

import (
	"strings"
	"testing"

	"github.com/hangar-ci/hangar/shared/vaulttest"
)

// policy is the central policy the restriction tests run under: anything
// under secret/data/prod/ only for acme's main pushes, whatever the
// secret's own keys say.
const policy = `
rules:
  - paths: ["secret/data/prod/**"]
    repos: ["acme/*"]
    branches: ["main"]
    events: ["push"]
  - paths: ["secret/data/named"]
    names: ["password"]
    repos: ["acme/*"]
`

func TestVaultRestrictions(t *testing.T) {
	t.Parallel()
	v := vaulttest.Start(t)
	put := func(name string, data map[string]any) {
		v.Write(t, "secret/data/"+name, map[string]any{"data": data})
	}
	put("repo", map[string]any{"v": value("repo-restricted-0e1a"), "X-Drone-Repos": "octo/*,acme/web"})
	put("branch", map[string]any{"v": value("branch-restricted-77b3"), "X-Drone-Branches": "main, release/*"})
	put("event", map[string]any{"v": value("event-restricted-5c0d"), "X-Drone-Events": "push,tag"})
	put("case", map[string]any{"v": value("case-insensitive-a4e2"), "x-drone-repos": "OCTO/API", "X-DRONE-EVENTS": "PUSH"})
	put("open", map[string]any{"v": value("unrestricted-3bb9")})
	put("forks", map[string]any{"v": value("fork-allowed-d2f8"), "X-Drone-Forks": "true"})
	// A wide secret under the central policy's path.
	put("prod/deploy", map[string]any{"v": value("prod-deploy-6a0c"), "X-Drone-Repos": "*/*"})
	put("named", map[string]any{"user": "octo-bot", "password": value("named-rule-password-91c4")})
	h := start(t, Options{Vault: vaultOptions(v.Addr, vaulttest.RootToken)}, map[string]string{
		DefaultPolicyPath: policy,
	})

	feature := build{repo: "octo/api", event: "pull_request", target: "main", source: "feature/x"}
	fork := build{repo: "octo/api", event: "pull_request", target: "main", source: "main", fork: "mallory/api"}
	tests := []struct {
		name, secret string
		b            build
		allow        bool
	}{
		{"repo allowed", "repo", pushMain, true},
		{"repo in list", "repo", build{repo: "acme/web", event: "push", target: "main"}, true},
		{"repo refused", "repo", build{repo: "acme/api", event: "push", target: "main"}, false},
		{"branch allowed", "branch", build{repo: "octo/api", event: "push", target: "release/1.2"}, true},
		{"branch refused", "branch", build{repo: "octo/api", event: "push", target: "dev"}, false},
		{"event allowed", "event", build{repo: "octo/api", event: "tag", target: "main"}, true},
		{"event refused", "event", prMain, false},
		{"case-insensitive keys and globs", "case", pushMain, true},
		{"case-insensitive, event refused", "case", build{repo: "octo/api", event: "cron", target: "main"}, false},
		// drone-vault checks only the target: this PR into main would get a
		// main-only secret there.
		{"PR source branch refused", "branch", feature, false},
		{"PR from main into main", "branch", prMain, true},
		{"PR without restrictions", "open", feature, true},
		{"fork refused by default", "open", fork, false},
		{"fork refused by default, restricted secret", "repo", fork, false},
		{"fork allowed by the secret", "forks", fork, true},
		{"central policy narrows a wider secret", "prod/deploy", pushMain, false},
		{"central policy narrows by event", "prod/deploy", build{repo: "acme/web", event: "tag", target: "main"}, false},
		{"central policy allows within", "prod/deploy", build{repo: "acme/web", event: "push", target: "main"}, true},
		{"central policy applies to the short path form", "prod/deploy", build{repo: "octo/api", event: "push", target: "main"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := "secret/data/" + tt.secret
			if strings.Contains(tt.name, "short path form") {
				path = "secret/" + tt.secret
			}
			got, err := h.find(t, path, "v", tt.b)
			want := 404
			if tt.allow {
				want = 200
			}
			if s := status(err); s != want {
				t.Fatalf("status: got %d (%v), want %d", s, err, want)
			}
			if !tt.allow {
				if msg := err.Error(); !strings.Contains(msg, "not available to this build") {
					t.Errorf("denial message: got %q, want the generic not-available text", msg)
				}
				return
			}
			if got.Data == "" || !got.Pull || !got.PullRequest {
				t.Errorf("released secret: got %+v, want data and pull flags set", got)
			}
		})
	}
	t.Run("central rule limited to some keys", func(t *testing.T) {
		t.Parallel()
		for name, want := range map[string]int{"user": 200, "password": 404, "*": 404} {
			if _, err := h.find(t, "secret/data/named", name, pushMain); status(err) != want {
				t.Errorf("key %q for octo/api: got %d (%v), want %d", name, status(err), err, want)
			}
		}
		if _, err := h.find(t, "secret/data/named", "*", build{repo: "acme/web", event: "push", target: "main"}); err != nil {
			t.Errorf("key * for acme/web: %v", err)
		}
	})
	t.Run("denial reason is logged", func(t *testing.T) {
		if _, err := h.find(t, "secret/data/branch", "v", feature); status(err) != 404 {
			t.Fatalf("status: got %d, want 404", status(err))
		}
		if logs := h.logs.String(); !strings.Contains(logs, `pull request source branch \"feature/x\" does not match`) {
			t.Errorf("logs lack the denial reason; got:\n%s", logs)
		}
	})
	t.Run("broken central policy fails closed", func(t *testing.T) {
		h.write(t, DefaultPolicyPath, "rules:\n  - pahts: [oops]\n")
		defer h.write(t, DefaultPolicyPath, policy)
		if _, err := h.find(t, "secret/data/open", "v", pushMain); status(err) != 503 {
			t.Errorf("status: got %d (%v), want 503", status(err), err)
		}
	})
}
