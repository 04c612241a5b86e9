package webhook

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hangar-ci/hangar/shared/sqldb"
	"github.com/hangar-ci/hangar/shared/wire"
)

func TestBackoff(t *testing.T) {
	t.Parallel()
	s := Sink{Backoff: time.Second, MaxBackoff: 10 * time.Second}
	tests := []struct {
		attempts   int
		retryAfter time.Duration
		r          float64
		want       time.Duration
	}{
		{1, 0, 0, 500 * time.Millisecond},
		{1, 0, 1, time.Second},
		{2, 0, 1, 2 * time.Second},
		{3, 0, 0.5, 3 * time.Second}, // 4s: 2s + half of 2s
		{4, 0, 1, 8 * time.Second},
		{5, 0, 1, 10 * time.Second}, // capped
		{60, 0, 0, 5 * time.Second}, // no overflow
		{1, 4 * time.Second, 0, 4 * time.Second},
		{1, time.Hour, 0, 10 * time.Second}, // Retry-After within max_backoff
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d-%v-%v", tt.attempts, tt.retryAfter, tt.r), func(t *testing.T) {
			t.Parallel()
			if got := backoff(s, tt.attempts, tt.retryAfter, tt.r); got != tt.want {
				t.Errorf("backoff(%d, %v, %v) = %v, want %v", tt.attempts, tt.retryAfter, tt.r, got, tt.want)
			}
		})
	}
}

// TestSlowSinkIsolated: a sink that hangs holds up neither the intake nor
// the other sinks, and gets everything once it answers again.
func TestSlowSinkIsolated(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	slow := newSink(t, func(int) int { <-release; return http.StatusOK })
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	fast := newSink(t, nil)
	chat := newSink(t, nil)
	f := start(t, sqldb.SQLite, "sinks:\n"+
		httpSinkYAML("slow", slow.URL, "    timeout: 30s\n    concurrency: 1\n")+
		httpSinkYAML("fast", fast.URL, "")+
		fmt.Sprintf("  - name: chat\n    kind: slack\n    url: %s\n    events: [\"build:created\"]\n", chat.URL))
	const n = 20
	for i := range n {
		if status, res := f.post(t, buildEvent(wire.ActionCreated, int64(i+1), "pending", 1)); status != http.StatusAccepted || res.Deliveries != 3 {
			t.Fatalf("send %d = %d %+v, want 202 with 3 deliveries while a sink hangs", i, status, res)
		}
	}
	waitFor(t, "the fast sinks", func() bool { return len(fast.accepted()) == n && len(chat.accepted()) == n })
	if got := slow.requests(); got > 1 {
		t.Errorf("hanging sink got %d requests, want at most 1 (concurrency 1)", got)
	}
	var msg slackMessage
	if err := json.Unmarshal(chat.accepted()[0].Body, &msg); err != nil || !strings.Contains(msg.Text, "*octo/api* build") {
		t.Errorf("Slack sink got %q (%v), want a readable build message", chat.accepted()[0].Body, err)
	}
	close(release)
	waitFor(t, "the slow sink to catch up", func() bool { return len(slow.accepted()) == n })
}

// TestOrderWithFailures: with a sink that refuses every third request and
// several deliveries in flight, each build's events still arrive in order.
func TestOrderWithFailures(t *testing.T) {
	t.Parallel()
	s := newSink(t, func(n int) int {
		if n%3 == 0 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	f := start(t, sqldb.SQLite, "sinks:\n"+httpSinkYAML("flaky", s.URL, "    concurrency: 4\n"))
	const builds, versions = 6, 8
	want := map[int64][]string{}
	for v := int64(1); v <= versions; v++ {
		for b := int64(1); b <= builds; b++ {
			p := buildEvent(wire.ActionUpdated, b, "running", v)
			if status, _ := f.post(t, p); status != http.StatusAccepted {
				t.Fatalf("send = %d, want 202", status)
			}
			want[b] = append(want[b], keyOf(p))
		}
	}
	waitFor(t, "every event", func() bool { return len(s.accepted()) >= builds*versions })
	got := map[int64][]string{}
	for _, r := range s.accepted() {
		var b int64
		fmt.Sscanf(strings.Split(r.Key, ":")[2], "%d", &b)
		got[b] = append(got[b], r.Key)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("per-build order (-want +got):\n%s", diff)
	}
}

// TestSinkURLNotShown: a Slack-style URL is a credential; a failed
// attempt's error, logged and shown by the API, leaves it out.
func TestSinkURLNotShown(t *testing.T) {
	t.Parallel()
	closed := "http://" + freeAddr(t) + "/services/T000/B000/SECRETTOKEN"
	f := start(t, sqldb.SQLite, "sinks:\n  - name: chat\n    kind: slack\n    url: "+closed+"\n    max_attempts: 1\n")
	f.post(t, buildEvent(wire.ActionCreated, 1, "pending", 1))
	var dead struct {
		DeadLetters []Delivery `json:"dead_letters"`
	}
	waitFor(t, "a dead letter", func() bool {
		f.api(t, "GET", "/api/dead-letters", testToken, &dead)
		return len(dead.DeadLetters) == 1
	})
	if e := dead.DeadLetters[0].LastError; e == "" || strings.Contains(e, "SECRETTOKEN") {
		t.Errorf("last_error = %q, want a reason without the sink URL", e)
	}
}
