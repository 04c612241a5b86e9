package core

import (
	"strings"
	"testing"

	"github.com/hangar-ci/hangar/shared/envconf"
)

func TestAuthOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		want string // "" = valid
	}{
		{"defaults", nil, ""},
		{"user create", map[string]string{"DRONE_USER_CREATE": "username:ci,admin:true,machine:true,token:0123456789abcdef"}, ""},
		{"bad user create", map[string]string{"DRONE_USER_CREATE": "admin:true"}, "DRONE_USER_CREATE"},
		{"short database secret", map[string]string{"DRONE_DATABASE_SECRET": "short"}, "DRONE_DATABASE_SECRET"},
		{"client id without secret", map[string]string{"DRONE_GITHUB_CLIENT_ID": "x", "DRONE_DATABASE_SECRET": strings.Repeat("k", 32)}, "DRONE_GITHUB_CLIENT_SECRET"},
		{"login without database secret", map[string]string{"DRONE_GITLAB_CLIENT_ID": "x", "DRONE_GITLAB_CLIENT_SECRET": "y"}, "DRONE_DATABASE_SECRET"},
		{"short cookie secret", map[string]string{"DRONE_COOKIE_SECRET": "abc"}, "DRONE_COOKIE_SECRET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := OptionsFromEnv(envconf.Map(tt.env), "")
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("got %v, want valid", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("got %v, want an error naming %s", err, tt.want)
			}
		})
	}
}

// TestGitHubServer reads Drone's DRONE_GITHUB_SERVER=https://github.com as
// the public API, not as an Enterprise server.
func TestGitHubServer(t *testing.T) {
	t.Parallel()
	for server, want := range map[string]string{
		"https://github.com":              "https://api.github.com/",
		"https://github.com/":             "https://api.github.com/",
		"https://ghe.example.com":         "https://ghe.example.com/api/v3/",
		"https://ghe.example.com/api/v3/": "https://ghe.example.com/api/v3/",
	} {
		scms, err := newSCMs(Options{GitHubURL: server, GitHubToken: "t", SCMTimeout: 1})
		if err != nil {
			t.Fatal(err)
		}
		if got := scms("github").(*githubSCM).c.BaseURL.String(); got != want {
			t.Errorf("%s: got API %s, want %s", server, got, want)
		}
	}
}
