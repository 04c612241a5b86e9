package scope

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/drone/drone-go/drone"
	"github.com/google/go-cmp/cmp"
	"github.com/hangar-ci/hangar/shared/wire"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	yes, no := true, false
	push := Build{Repo: "octo/api", Event: "push", Target: "main"}
	pr := Build{Repo: "octo/api", Event: "pull_request", Target: "main", Source: "feature/x"}
	fork := pr
	fork.Fork = true
	mainOnly := Rule{Origin: "secret", Branches: []string{"main"}}
	tests := []struct {
		name  string
		build Build
		rules []Rule
		allow bool
	}{
		{"no rules", push, nil, true},
		{"repo glob", push, []Rule{{Repos: []string{"octo/*"}}}, true},
		{"repo glob is case-insensitive", push, []Rule{{Repos: []string{"OCTO/API"}}}, true},
		{"repo outside glob", push, []Rule{{Repos: []string{"acme/*"}}}, false},
		{"glob does not cross slash", push, []Rule{{Repos: []string{"*"}}}, false},
		{"event", push, []Rule{{Events: []string{"push", "tag"}}}, true},
		{"event refused", push, []Rule{{Events: []string{"tag"}}}, false},
		{"branch", push, []Rule{mainOnly}, true},
		{"branch refused", Build{Repo: "octo/api", Event: "push", Target: "dev"}, []Rule{mainOnly}, false},
		{"PR into main from a feature branch", pr, []Rule{mainOnly}, false},
		{"PR source and target match", pr, []Rule{{Branches: []string{"main", "feature/*"}}}, true},
		{"PR without branch rule", pr, []Rule{{Repos: []string{"octo/*"}}}, true},
		{"fork refused by default", fork, []Rule{{Repos: []string{"octo/*"}}}, false},
		{"fork allowed by a rule", fork, []Rule{{Forks: &yes}}, true},
		{"fork allowed by secret, refused by policy", fork, []Rule{{Forks: &yes}, {Forks: &no}}, false},
		{"policy narrows a wider secret", push, []Rule{{Repos: []string{"*/*"}}, {Repos: []string{"acme/*"}}}, false},
		{"policy and secret both allow", push, []Rule{{Repos: []string{"*/*"}}, {Repos: []string{"octo/*"}, Events: []string{"push"}}}, true},
		{"malformed pattern matches nothing", push, []Rule{{Repos: []string{"[octo"}}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := Check(tt.build, tt.rules...)
			var d *Denied
			if err != nil && !errors.As(err, &d) {
				t.Fatalf("got error %v of type %T, want *Denied", err, err)
			}
			if got := err == nil; got != tt.allow {
				t.Errorf("allowed: got %v (%v), want %v", got, err, tt.allow)
			}
		})
	}
}

func TestFromDrone(t *testing.T) {
	t.Parallel()
	repo := drone.Repo{Namespace: "octo", Name: "api", Slug: "octo/api"}
	tests := []struct {
		name  string
		build drone.Build
		want  Build
	}{
		{"push", drone.Build{Event: "push", Target: "main", Source: "main"},
			Build{Repo: "octo/api", Event: "push", Target: "main", Source: "main"}},
		{"PR from the same repo", drone.Build{Event: "pull_request", Target: "main", Source: "x", Fork: "Octo/API"},
			Build{Repo: "octo/api", Event: "pull_request", Target: "main", Source: "x"}},
		{"PR from a fork", drone.Build{Event: "pull_request", Target: "main", Source: "x", Fork: "mallory/api"},
			Build{Repo: "octo/api", Event: "pull_request", Target: "main", Source: "x", Fork: true}},
		{"PR without source_repo is treated as a fork", drone.Build{Event: "pull_request", Target: "main", Source: "x"},
			Build{Repo: "octo/api", Event: "pull_request", Target: "main", Source: "x", Fork: true}},
		{"push never is", drone.Build{Event: "push", Target: "main", Fork: "mallory/api"},
			Build{Repo: "octo/api", Event: "push", Target: "main"}},
	}
	for _, tt := range tests {
		// Through drone-go's own JSON, as a request arrives.
		body, err := json.Marshal(struct {
			Repo  drone.Repo  `json:"repo"`
			Build drone.Build `json:"build"`
		}{repo, tt.build})
		if err != nil {
			t.Fatal(err)
		}
		var subject wire.Subject
		if err := json.Unmarshal(body, &subject); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, FromSubject(subject)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestFromKeys(t *testing.T) {
	t.Parallel()
	yes := true
	got := FromKeys("secret", map[string]any{
		"x-drone-repos":    "octo/*, acme/web",
		"X-DRONE-BRANCHES": "main",
		"X-Drone-Events":   "push,tag,",
		"X-Drone-Forks":    "true",
		"password":         "p",
		"X-Drone-Other":    7,
	})
	want := Rule{Origin: "secret", Repos: []string{"octo/*", "acme/web"}, Branches: []string{"main"}, Events: []string{"push", "tag"}, Forks: &yes}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FromKeys (-want +got):\n%s", diff)
	}
	if r := FromKeys("", map[string]any{"X-Drone-Forks": "perhaps"}); r.Forks == nil || *r.Forks {
		t.Errorf("forks %q: got %v, want false", "perhaps", r.Forks)
	}
	for k, want := range map[string]bool{"x-drone-repos": true, "X-Drone-Forks": true, "password": false} {
		if got := IsKey(k); got != want {
			t.Errorf("IsKey(%q): got %v, want %v", k, got, want)
		}
	}
}
