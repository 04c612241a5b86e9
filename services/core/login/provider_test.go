package login

import "testing"

// TestEndpoints derives the OAuth and API addresses from Drone's server
// settings for the hosted and self-hosted SCMs.
func TestEndpoints(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, server     string
		gitlab           bool
		auth, token, api string
	}{
		{"github.com", "", false, "https://github.com/login/oauth/authorize", "https://github.com/login/oauth/access_token", "https://api.github.com/"},
		{"github.com named", "https://github.com/", false, "https://github.com/login/oauth/authorize", "https://github.com/login/oauth/access_token", "https://api.github.com/"},
		{"enterprise", "https://ghe.example.com", false, "https://ghe.example.com/login/oauth/authorize", "https://ghe.example.com/login/oauth/access_token", "https://ghe.example.com/api/v3/"},
		{"enterprise API root", "https://ghe.example.com/api/v3/", false, "https://ghe.example.com/login/oauth/authorize", "https://ghe.example.com/login/oauth/access_token", "https://ghe.example.com/api/v3/"},
		{"gitlab.com", "", true, "https://gitlab.com/oauth/authorize", "https://gitlab.com/oauth/token", "https://gitlab.com/api/v4/"},
		{"self-managed", "https://git.example.com/api/v4", true, "https://git.example.com/oauth/authorize", "https://git.example.com/oauth/token", "https://git.example.com/api/v4/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var p Provider
			var api string
			if tt.gitlab {
				g := NewGitLab(tt.server, "id", "secret", "https://ci/login/gitlab").(*gitLab)
				p, api = g, g.api
			} else {
				g := NewGitHub(tt.server, "id", "secret", "https://ci/login/github").(*gitHub)
				p, api = g, g.api
			}
			e := p.OAuth().Endpoint
			if e.AuthURL != tt.auth || e.TokenURL != tt.token || api != tt.api {
				t.Errorf("got %s %s %s, want %s %s %s", e.AuthURL, e.TokenURL, api, tt.auth, tt.token, tt.api)
			}
		})
	}
}
