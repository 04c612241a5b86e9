package core

import (
	"testing"

	"github.com/hangar-ci/hangar/services/core/model"
)

// TestStatusFor maps build statuses and events to Drone's commit statuses
// and each SCM's own states.
func TestStatusFor(t *testing.T) {
	t.Parallel()
	repo := &model.Repo{Slug: "octo/hello"}
	for _, tc := range []struct {
		status, event      string
		state, label, desc string
		github             string
		gitlab             string
	}{
		{"pending", "push", "pending", "ci/push", "Build is pending", "pending", "pending"},
		{"blocked", "pull_request", "pending", "ci/pr", "Build is pending approval", "pending", "pending"},
		{"running", "tag", "pending", "ci/tag", "Build is running", "pending", "pending"},
		{"success", "custom", "success", "ci", "Build is passing", "success", "success"},
		{"failure", "push", "failure", "ci/push", "Build is failing", "failure", "failed"},
		{"error", "push", "error", "ci/push", "Build encountered an error", "error", "failed"},
		{"killed", "push", "canceled", "ci/push", "Build was killed", "error", "canceled"},
		{"declined", "push", "canceled", "ci/push", "Build was declined", "error", "canceled"},
	} {
		got := statusFor("ci", "https://ci", repo, &model.Build{Number: 7, Status: tc.status, Event: tc.event})
		if got.State != tc.state || got.Label != tc.label || got.Desc != tc.desc || got.Target != "https://ci/octo/hello/7" {
			t.Errorf("%s/%s: got %+v, want %s %s %q", tc.status, tc.event, got, tc.state, tc.label, tc.desc)
		}
		if gh := githubStates[got.State]; gh != tc.github {
			t.Errorf("%s on GitHub: got %q, want %q", tc.status, gh, tc.github)
		}
		if gl := string(gitlabStates[got.State]); gl != tc.gitlab {
			t.Errorf("%s on GitLab: got %q, want %q", tc.status, gl, tc.gitlab)
		}
	}
}
