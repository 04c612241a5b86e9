package core

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hangar-ci/hangar/services/core/coretest"
	"github.com/hangar-ci/hangar/shared/wire"
)

// TestManualBuild creates custom builds through the API as drone build
// create does: the branch head (or the given commit) is resolved through
// the SCM API, an unknown branch or commit is 404 and builds nothing, and
// a missing branch is the repository's default branch.
func TestManualBuild(t *testing.T) {
	t.Parallel()
	const (
		mainSHA    = "1111111111111111111111111111111111111111"
		developSHA = "2222222222222222222222222222222222222222"
		oldSHA     = "3333333333333333333333333333333333333333"
	)
	pipeline := []byte("kind: pipeline\nname: a\nsteps:\n- name: s\n  image: alpine\n")
	for _, kind := range []string{"github", "gitlab"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			var fake *coretest.SCM
			env := map[string]string{}
			if kind == "github" {
				fake = coretest.NewGitHub(t)
				env["HANGAR_GITHUB_URL"] = fake.APIURL
			} else {
				fake = coretest.NewGitLab(t)
				env["HANGAR_GITLAB_URL"], env["HANGAR_GITLAB_TOKEN"] = fake.APIURL, "gitlab-token"
			}
			const slug = "octo/hello"
			fake.SetDefaultFile(".drone.yml", pipeline)
			commits := map[string]coretest.Commit{
				mainSHA:    {Message: "Fix the flaky test\n", AuthorLogin: "octocat", AuthorName: "Mona Lisa", AuthorEmail: "mona@example.com", Avatar: "https://avatars.example.com/u/1"},
				developSHA: {Message: "Start the next release", AuthorLogin: "hubot", AuthorName: "Hubot", AuthorEmail: "hubot@example.com"},
				oldSHA:     {Message: "An older commit", AuthorLogin: "octocat", AuthorName: "Mona Lisa", AuthorEmail: "mona@example.com"},
			}
			for sha, c := range commits {
				fake.SetCommit(slug, sha, c)
			}
			fake.SetBranch(slug, "main", mainSHA)
			fake.SetBranch(slug, "develop", developSHA)
			fake.SetBranch(slug, "feature/x", mainSHA)
			srv, _ := newCore(t, env)
			if code, out := call(t, srv, "POST", "/api/repos", "tok", `{"namespace":"octo","name":"hello","scm":"`+kind+`","default_branch":"develop","secret":"k"}`); code != http.StatusCreated {
				t.Fatalf("activate: got %d %s", code, out)
			}
			want := func(sha, branch string) wire.Build {
				c := commits[sha]
				b := wire.Build{Event: "custom", Ref: "refs/heads/" + branch, Source: branch, Target: branch, Before: sha, After: sha,
					Message: c.Message, AuthorName: c.AuthorName, AuthorEmail: c.AuthorEmail, Link: fake.Link(slug, sha)}
				if kind == "github" {
					b.Author, b.AuthorAvatar = c.AuthorLogin, c.Avatar
				}
				return b
			}
			tests := []struct {
				query string
				code  int
				want  wire.Build
			}{
				{"?branch=main", http.StatusCreated, want(mainSHA, "main")},
				{"", http.StatusCreated, want(developSHA, "develop")},
				{"?branch=feature/x", http.StatusCreated, want(mainSHA, "feature/x")},
				{"?branch=main&commit=" + oldSHA, http.StatusCreated, want(oldSHA, "main")},
				{"?branch=no-such-branch", http.StatusNotFound, wire.Build{}},
				{"?branch=main&commit=4444444444444444444444444444444444444444", http.StatusNotFound, wire.Build{}},
			}
			built := 0
			for _, tc := range tests {
				code, out := call(t, srv, "POST", "/api/repos/octo/hello/builds"+tc.query, "tok", "")
				if code != tc.code {
					t.Errorf("%s: got %d %s, want %d", tc.query, code, out, tc.code)
					continue
				}
				if code != http.StatusCreated {
					if !strings.Contains(out, "not found") {
						t.Errorf("%s: got %q, want it to say what was not found", tc.query, out)
					}
					continue
				}
				built++
				var got wire.Build
				if err := json.Unmarshal([]byte(out), &got); err != nil {
					t.Fatal(err)
				}
				got = wire.Build{Event: got.Event, Ref: got.Ref, Source: got.Source, Target: got.Target, Before: got.Before, After: got.After,
					Message: got.Message, Author: got.Author, AuthorName: got.AuthorName, AuthorEmail: got.AuthorEmail, AuthorAvatar: got.AuthorAvatar, Link: got.Link}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("%s (-want +got):\n%s", tc.query, diff)
				}
			}
			if _, out := call(t, srv, "GET", "/api/repos/octo/hello/builds", "tok", ""); strings.Count(out, `"number"`) != built {
				t.Errorf("got builds %s, want exactly the %d created", out, built)
			}
		})
	}
}
