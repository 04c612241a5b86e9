package core

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/services/core/rpc"
)

func TestNetrc(t *testing.T) {
	t.Parallel()
	gh := &model.Repo{SCM: "github", HTTPURL: "https://github.com/octo/hello.git", Private: true}
	gl := &model.Repo{SCM: "gitlab", HTTPURL: "https://gitlab.example.com:8443/grp/sub/p.git", Private: true}
	public := &model.Repo{SCM: "github", HTTPURL: "https://github.com/octo/pub.git"}
	tests := []struct {
		name   string
		runner RunnerOptions
		repo   *model.Repo
		want   *rpc.Netrc
	}{
		{"github token", RunnerOptions{}, gh, &rpc.Netrc{Machine: "github.com", Login: "ghp", Password: "x-oauth-basic"}},
		{"gitlab token, port dropped", RunnerOptions{}, gl, &rpc.Netrc{Machine: "gitlab.example.com", Login: "oauth2", Password: "glp"}},
		{"fixed credentials win", RunnerOptions{GitUsername: "bot", GitPassword: "pw"}, gh, &rpc.Netrc{Machine: "github.com", Login: "bot", Password: "pw"}},
		{"public repository: none", RunnerOptions{}, public, nil},
		{"public with always-auth", RunnerOptions{GitAlwaysAuth: true}, public, &rpc.Netrc{Machine: "github.com", Login: "ghp", Password: "x-oauth-basic"}},
		{"no clone URL: none", RunnerOptions{}, &model.Repo{SCM: "github", Private: true}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := &service{opts: Options{GitHubToken: "ghp", GitLabToken: "glp", Runner: tt.runner}}
			if diff := cmp.Diff(tt.want, s.netrc(tt.repo)); diff != "" {
				t.Errorf("netrc (-want +got):\n%s", diff)
			}
		})
	}
}
