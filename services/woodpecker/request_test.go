package woodpecker

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/drone/drone-go/drone"
	"github.com/google/go-cmp/cmp"
)

func TestToDrone(t *testing.T) {
	t.Parallel()
	const repoJSON = `"repo":{"owner":"octo","name":"hello","full_name":"octo/hello","default_branch":"main","config_file":".woodpecker.yaml","trusted":%s}`
	tests := []struct {
		name    string
		body    string
		trusted string
		want    drone.Build
		trust   bool
	}{
		{"push", `{"event":"push","branch":"main","ref":"refs/heads/main","commit":"abc"}`, "false",
			drone.Build{Event: "push", Target: "main", Source: "main", Fork: "octo/hello", Ref: "refs/heads/main", After: "abc"}, false},
		{"pull request from the repository", `{"event":"pull_request","branch":"main","refspec":"feature/x:main"}`, "true",
			drone.Build{Event: "pull_request", Target: "main", Source: "feature/x", Fork: "octo/hello"}, true},
		{"pull request from a fork", `{"event":"pull_request","branch":"main","refspec":"x:main","from_fork":true}`, `{"security":true}`,
			drone.Build{Event: "pull_request", Target: "main", Source: "x", Fork: ""}, true},
		{"fork flag nested (newer servers)", `{"event":"pull_request_closed","branch":"main","refspec":"x:main","pull_request":{"from_fork":true}}`, `{"network":true}`,
			drone.Build{Event: "pull_request", Target: "main", Source: "x", Fork: ""}, false},
		{"deployment", `{"event":"deployment","branch":"main","deployment":{"target":"prod"},"commit_pipeline":{"sha":"def","message":"m"}}`, "false",
			drone.Build{Event: "promote", Target: "main", Source: "main", Fork: "octo/hello", Deploy: "prod", After: "def", Message: "m"}, false},
		{"manual", `{"event":"manual","branch":"dev"}`, "false",
			drone.Build{Event: "custom", Target: "dev", Source: "dev", Fork: "octo/hello"}, false},
		{"release", `{"event":"release","branch":"main"}`, "false",
			drone.Build{Event: "tag", Target: "main", Source: "main", Fork: "octo/hello"}, false},
		{"unknown event kept", `{"event":"future","branch":"main"}`, "false",
			drone.Build{Event: "future", Target: "main", Source: "main", Fork: "octo/hello"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var req request
			body := `{` + fmt.Sprintf(repoJSON, tt.trusted) + `,"pipeline":` + tt.body + `}`
			if err := json.Unmarshal([]byte(body), &req); err != nil {
				t.Fatal(err)
			}
			got := req.toDrone()
			tt.want.Status = drone.StatusPending
			if diff := cmp.Diff(tt.want, got.Build); diff != "" {
				t.Errorf("build (-want +got):\n%s", diff)
			}
			wantRepo := drone.Repo{Namespace: "octo", Name: "hello", Slug: "octo/hello", Branch: "main", Config: ".woodpecker.yaml", Trusted: tt.trust, Active: true}
			if diff := cmp.Diff(wantRepo, got.Repo); diff != "" {
				t.Errorf("repo (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMark(t *testing.T) {
	t.Parallel()
	m := marker{key: []byte("0123456789abcdef0123")}
	other := marker{key: []byte("another-key-entirely")}
	good := file{Name: "hangar.yaml", Data: m.mark("hangar.yaml", "steps: []\n")}
	tests := []struct {
		name string
		f    file
		want bool
	}{
		{"own output", good, true},
		{"unmarked", file{Name: "hangar.yaml", Data: "steps: []\n"}, false},
		{"content changed", file{Name: good.Name, Data: good.Data + "  - evil\n"}, false},
		{"renamed", file{Name: "other.yaml", Data: good.Data}, false},
		{"marked with another key", file{Name: "hangar.yaml", Data: other.mark("hangar.yaml", "steps: []\n")}, false},
		{"forged mark", file{Name: "hangar.yaml", Data: markPrefix + "AAAA\nsteps: []\n"}, false},
		{"mark line only", file{Name: "hangar.yaml", Data: markPrefix + "AAAA"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := m.valid(tt.f); got != tt.want {
				t.Errorf("valid = %v, want %v", got, tt.want)
			}
		})
	}
	if m.allValid(nil) {
		t.Error("allValid(nil) = true, want false: an empty configuration is no restart")
	}
	if m.allValid([]file{good, {Name: "x.yaml", Data: "steps: []\n"}}) {
		t.Error("allValid with one repository file = true, want false")
	}
}

func TestParseSecretEntries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, yaml string
		want       []secretEntry
		err        string
	}{
		{"key defaults to name", "secrets:\n  - name: token\n    path: secret/data/x\n",
			[]secretEntry{{Name: "token", Path: "secret/data/x", Key: "token"}}, ""},
		{"images kept", "secrets:\n  - {name: p, path: kv/p, key: password, images: [a/b]}\n",
			[]secretEntry{{Name: "p", Path: "kv/p", Key: "password", Images: []string{"a/b"}}}, ""},
		{"empty file", "", nil, ""},
		{"no path", "secrets:\n  - name: token\n", nil, "name and path are required"},
		{"listed twice", "secrets:\n  - {name: a, path: x}\n  - {name: a, path: y}\n", nil, "listed twice"},
		{"unknown key is a typo", "secrets:\n  - {name: a, path: x, repos: [octo/*]}\n", nil, "repos"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseSecretEntries([]byte(tt.yaml))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("err = %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("entries (-want +got):\n%s", diff)
			}
		})
	}
}
