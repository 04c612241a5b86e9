package webhook

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/hangar-ci/hangar/shared/wire"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestSlackGolden renders the message a Slack sink gets for each kind of
// event and compares it with testdata/slack/<case>.golden (go test
// -update rewrites them).
func TestSlackGolden(t *testing.T) {
	t.Parallel()
	success := buildEvent(wire.ActionCompleted, 42, "success", 7)
	running := buildEvent(wire.ActionUpdated, 43, "running", 3)
	running.Build.Finished = 0
	pr := buildEvent(wire.ActionUpdated, 44, "failure", 9)
	pr.System = nil
	pr.Build.Event, pr.Build.Source, pr.Build.Target = "pull_request", "feature/login", "main"
	pr.Build.Link = "https://github.com/octo/api/pull/12"
	pr.Build.AuthorName = ""
	tag := buildEvent(wire.ActionCreated, 45, "pending", 1)
	tag.Build.Event, tag.Build.Ref, tag.Build.Started, tag.Build.Finished = "tag", "refs/tags/v1.2.0", 0, 0
	hostile := buildEvent(wire.ActionUpdated, 46, "killed", 4)
	hostile.Build.Message = "Merge <@channel> & <https://evil.example|click>"
	hostile.Build.AuthorName = "Eve <eve@example.com>"
	repo := wire.WebhookPayload{Event: wire.EventRepo, Action: wire.ActionEnabled,
		Repo: &wire.Repository{ID: 7, Slug: "octo/api"}, User: &wire.User{ID: 1, Login: "octocat"}}
	user := wire.WebhookPayload{Event: wire.EventUser, Action: wire.ActionCreated, User: &wire.User{ID: 2, Login: "hubot"}}

	tests := []struct {
		name string
		p    wire.WebhookPayload
	}{
		{"build-success", success},
		{"build-running", running},
		{"pull-request-failure", pr},
		{"tag-created", tag},
		{"escaped", hostile},
		{"repo-enabled", repo},
		{"user-created", user},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in, _ := json.Marshal(tt.p)
			got, err := slackBody(in)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", "slack", tt.name+".golden")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if string(got) != string(want) {
				t.Errorf("Slack message for %s =\n%s\nwant\n%s", tt.name, got, want)
			}
		})
	}
}
