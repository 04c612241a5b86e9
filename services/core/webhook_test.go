package core

import (
	"testing"

	"github.com/hangar-ci/hangar/shared/wire"
)

// TestWebhookEvents filters on "event:action" with filepath.Match patterns,
// so "build" alone does not match "build:created" (Drone's quirk).
func TestWebhookEvents(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		events []string
		event  string
		action string
		want   bool
	}{
		{nil, "build", "created", true},
		{[]string{"build:*"}, "build", "created", true},
		{[]string{"build"}, "build", "created", false},
		{[]string{"repo:*", "build:updated"}, "build", "created", false},
		{[]string{"repo:*", "build:updated"}, "build", "updated", true},
		{[]string{"*:enabled"}, "repo", "enabled", true},
	} {
		s := &webhookSender{events: tc.events}
		if got := s.match(&wire.WebhookPayload{Event: tc.event, Action: tc.action}); got != tc.want {
			t.Errorf("%v with %s:%s: got %v, want %v", tc.events, tc.event, tc.action, got, tc.want)
		}
	}
}
