package core

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/shared/scmhook"
)

func readPayload(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestParseHook maps the real payloads to Drone's hook fields (§4.1).
func TestParseHook(t *testing.T) {
	t.Parallel()
	const sha = "6113728f27ae82c7b1a177c8d03f9e96e0adf246"
	tests := []struct {
		provider scmhook.Provider
		event    string
		file     string
		slug     string
		want     *model.Hook // nil: ignored
	}{
		{scmhook.GitHub, "push", "github/push.json", "Codertocat/Hello-World", &model.Hook{
			Trigger: "@hook", Event: "push", Link: "https://github.com/Codertocat/Hello-World/commit/" + sha,
			Message: "Initial commit", Before: "0000000000000000000000000000000000000000", After: sha,
			Ref: "refs/heads/master", Source: "master", Target: "master", Author: "Codertocat", AuthorName: "Codertocat",
			AuthorEmail: "21031067+Codertocat@users.noreply.github.com", AuthorAvatar: "https://avatars1.githubusercontent.com/u/21031067?v=4",
			Sender: "Codertocat",
		}},
		{scmhook.GitHub, "push", "github/push_tag.json", "Codertocat/Hello-World", &model.Hook{
			Trigger: "@hook", Event: "tag", Action: "create", Link: "https://github.com/Codertocat/Hello-World/commit/" + sha,
			Before: "0000000000000000000000000000000000000000", After: sha, Ref: "refs/tags/simple-tag",
			Author: "Codertocat", AuthorName: "Codertocat", AuthorEmail: "21031067+Codertocat@users.noreply.github.com",
			AuthorAvatar: "https://avatars1.githubusercontent.com/u/21031067?v=4", Sender: "Codertocat",
		}},
		{scmhook.GitHub, "pull_request", "github/pull_request_opened.json", "Codertocat/Hello-World", &model.Hook{
			Trigger: "@hook", Event: "pull_request", Action: "opened", Link: "https://github.com/Codertocat/Hello-World/pull/2",
			Title: "Update the README with new information.", Message: "Update the README with new information.",
			Before: "f95f852bd8fca8fcc58a9a2d6c842781e32a215e", After: "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
			Ref: "refs/pull/2/head", Fork: "Codertocat/Hello-World", Source: "changes", Target: "master",
			Author: "Codertocat", AuthorAvatar: "https://avatars1.githubusercontent.com/u/21031067?v=4", Sender: "Codertocat",
		}},
		{scmhook.GitHub, "deployment", "github/deployment.json", "Codertocat/Hello-World", &model.Hook{
			Trigger: "@hook", Event: "promote", Link: "https://api.github.com/repos/Codertocat/Hello-World/deployments/145988746",
			After: "f95f852bd8fca8fcc58a9a2d6c842781e32a215e", Ref: "refs/heads/master", Source: "master", Target: "master",
			Author: "Codertocat", AuthorAvatar: "https://avatars1.githubusercontent.com/u/21031067?v=4", Sender: "Codertocat",
			Deployment: "production", DeploymentID: 145988746,
		}},
		{scmhook.GitHub, "pull_request", "github/pull_request_closed.json", "Codertocat/Hello-World", nil},
		{scmhook.GitHub, "push", "github/push_tag_deleted.json", "Codertocat/Hello-World", nil},
		// Events that do not build are not even decoded.
		{scmhook.GitHub, "delete", "github/delete.json", "", nil},
		{scmhook.GitHub, "create", "github/create_tag.json", "", nil},
		{scmhook.GitLab, "Push Hook", "gitlab/push.json", "mike/diaspora", &model.Hook{
			Trigger: "@hook", Event: "push", Link: "http://example.com/mike/diaspora/commit/da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
			Message: "fixed readme\n", Before: "95790bf891e76fee5e1747ab589903a6a1f80f22", After: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
			Ref: "refs/heads/master", Source: "master", Target: "master", Author: "jsmith", AuthorName: "GitLab dev user",
			AuthorEmail: "gitlabdev@dv6700.(none)", AuthorAvatar: "https://s.gravatar.com/avatar/d4c74594d841139328695756648b6bd6?s=8://s.gravatar.com/avatar/d4c74594d841139328695756648b6bd6?s=80",
			Sender: "jsmith",
		}},
		{scmhook.GitLab, "Merge Request Hook", "gitlab/merge_request.json", "gitlabhq/gitlab-test", &model.Hook{
			Trigger: "@hook", Event: "pull_request", Action: "opened", Link: "http://example.com/diaspora/merge_requests/1",
			Title: "MS-Viewport", Message: "MS-Viewport", After: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
			Ref: "refs/merge-requests/1/head", Fork: "awesome_space/awesome_project", Source: "ms-viewport", Target: "master",
			Author: "user1", AuthorName: "User1", AuthorEmail: "user1@example.com",
			AuthorAvatar: "http://www.gravatar.com/avatar/e64c7d89f26bd1972efa854d13d7dd61?s=40\u0026d=identicon", Sender: "user1",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			got, err := parseHook(tc.provider, tc.event, readPayload(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if got.slug != tc.slug {
				t.Errorf("slug: got %q, want %q", got.slug, tc.slug)
			}
			if tc.want == nil {
				if got.hook != nil || got.reason == "" {
					t.Errorf("got hook %+v reason %q, want it ignored with a reason", got.hook, got.reason)
				}
				return
			}
			if diff := cmp.Diff(tc.want, got.hook); diff != "" {
				t.Errorf("hook (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseHookMalformed(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		provider scmhook.Provider
		event    string
		body     string
	}{
		{scmhook.GitHub, "push", `{"ref":`},
		{scmhook.GitHub, "push", `{"ref": 7}`},
		{scmhook.GitHub, "push", `{"ref": "refs/heads/x", "after": "abc"}`},
		{scmhook.GitHub, "pull_request", `[]`},
		{scmhook.GitLab, "Push Hook", `{"object_kind": "push", "ref": true}`},
		{scmhook.GitLab, "Push Hook", `{"object_kind": "push"}`},
	} {
		if got, err := parseHook(tc.provider, tc.event, []byte(tc.body)); err == nil {
			t.Errorf("%s %s: got %+v, want an error", tc.provider, tc.body, got)
		}
	}
}

func TestSkipByMessage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		hook model.Hook
		want bool
	}{
		{model.Hook{Event: "push", Message: "fix [CI SKIP]"}, true},
		{model.Hook{Event: "push", Message: "fix [skip ci] now"}, true},
		{model.Hook{Event: "pull_request", Title: "***NO_CI*** wip"}, true},
		{model.Hook{Event: "tag", Message: "[ci skip]"}, false},
		{model.Hook{Event: "custom", Message: "[ci skip]"}, false},
		{model.Hook{Event: "cron", Message: "[ci skip]"}, false},
		{model.Hook{Event: "push", Message: "ci skip"}, false},
	} {
		if got := skipByMessage(&tc.hook); got != tc.want {
			t.Errorf("%+v: got %v, want %v", tc.hook, got, tc.want)
		}
	}
}

// TestParseGitLabMergeActions maps merge request actions: an update builds
// only when it moved the branch (oldrev set), close and merge never.
func TestParseGitLabMergeActions(t *testing.T) {
	t.Parallel()
	base := readPayload(t, "gitlab/merge_request.json")
	for _, tc := range []struct {
		action, oldrev string
		want           string // "" = ignored
	}{
		{"open", "", "opened"},
		{"reopen", "", "reopened"},
		{"update", "0123456789abcdef0123456789abcdef01234567", "synchronized"},
		{"update", "", ""},
		{"close", "", ""},
		{"merge", "", ""},
	} {
		var m map[string]any
		if err := json.Unmarshal(base, &m); err != nil {
			t.Fatal(err)
		}
		attrs := m["object_attributes"].(map[string]any)
		attrs["action"] = tc.action
		if tc.oldrev != "" {
			attrs["oldrev"] = tc.oldrev
		}
		body, _ := json.Marshal(m)
		got, err := parseHook(scmhook.GitLab, "Merge Request Hook", body)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case tc.want == "" && got.hook != nil:
			t.Errorf("%s (oldrev %q): got a %s hook, want it ignored", tc.action, tc.oldrev, got.hook.Action)
		case tc.want != "" && (got.hook == nil || got.hook.Action != tc.want):
			t.Errorf("%s (oldrev %q): got %+v, want action %s", tc.action, tc.oldrev, got.hook, tc.want)
		}
	}
}
