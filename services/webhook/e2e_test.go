package webhook

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hangar-ci/hangar/shared/sqldb"
	"github.com/hangar-ci/hangar/shared/wire"
)

// TestEndToEnd: a request shaped exactly like the Drone server's is
// stored, delivered to a sink signed with the sink's secret, and the same
// event sent twice is delivered once.
func TestEndToEnd(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			s := newSink(t, nil)
			f := start(t, d, "sinks:\n"+httpSinkYAML("audit", s.URL, ""))

			running := buildEvent(wire.ActionUpdated, 41, "running", 2)
			status, first := f.post(t, running)
			if status != http.StatusAccepted || first.Duplicate || first.Deliveries != 1 {
				t.Fatalf("first send = %d %+v, want 202, not duplicate, 1 delivery", status, first)
			}
			status, again := f.post(t, running)
			if status != http.StatusOK || !again.Duplicate || again.Key != first.Key {
				t.Fatalf("second send = %d %+v, want 200 duplicate of %s", status, again, first.Key)
			}
			// A later event of the same build arrives after the first (order
			// is kept per build), so once it is there a duplicate of the
			// first would have arrived too.
			if status, _ := f.post(t, buildEvent(wire.ActionUpdated, 41, "running", 3)); status != http.StatusAccepted {
				t.Fatalf("third send = %d, want 202", status)
			}
			waitFor(t, "two deliveries", func() bool { return len(s.accepted()) >= 2 })

			got := s.accepted()
			keys := []string{}
			for _, r := range got {
				keys = append(keys, r.Key)
				if r.SigErr != nil {
					t.Errorf("sink signature check: %v, want a valid Drone-style signature", r.SigErr)
				}
				if r.Event != "build" {
					t.Errorf("X-Drone-Event = %q, want build", r.Event)
				}
			}
			if diff := cmp.Diff([]string{"build:updated:41:running:2", "build:updated:41:running:3"}, keys); diff != "" {
				t.Errorf("delivered keys (-want +got):\n%s", diff)
			}
			want, _ := json.Marshal(running)
			if string(got[0].Body) != string(want) {
				t.Errorf("delivered body =\n%s\nwant the received bytes\n%s", got[0].Body, want)
			}

			var one EventDeliveries
			if code := f.api(t, "GET", "/api/events/"+strconv.FormatInt(first.ID, 10), testToken, &one); code != 200 {
				t.Fatalf("GET /api/events/%d = %d, want 200", first.ID, code)
			}
			if string(one.Payload) != string(want) || one.Key != first.Key || len(one.Deliveries) != 1 {
				t.Errorf("GET /api/events/%d = %s %s with %d deliveries, want the stored body, key %s, 1 delivery",
					first.ID, one.Key, one.Payload, len(one.Deliveries), first.Key)
			}
			var list struct{ Events []EventDeliveries }
			if code := f.api(t, "GET", "/api/events", testToken, &list); code != 200 {
				t.Fatalf("GET /api/events = %d, want 200", code)
			}
			if len(list.Events) != 2 {
				t.Fatalf("stored events = %d, want 2 (the duplicate is not stored)", len(list.Events))
			}
			waitFor(t, "deliveries recorded", func() bool {
				f.api(t, "GET", "/api/events", testToken, &list)
				return list.Events[0].Deliveries[0].State == StateDelivered && list.Events[1].Deliveries[0].State == StateDelivered
			})
		})
	}
}

// TestBuildCompleted: the first terminal status of a build yields one
// build:completed, after the event that carried it.
func TestBuildCompleted(t *testing.T) {
	t.Parallel()
	s := newSink(t, nil)
	f := start(t, sqldb.SQLite, "sinks:\n"+httpSinkYAML("all", s.URL, ""))
	sends := []wire.WebhookPayload{
		buildEvent(wire.ActionCreated, 9, "pending", 1),
		buildEvent(wire.ActionUpdated, 9, "running", 2),
		buildEvent(wire.ActionUpdated, 9, "failure", 3),
		buildEvent(wire.ActionUpdated, 9, "failure", 4), // a late step update
	}
	for i, p := range sends {
		if status, a := f.post(t, p); status != http.StatusAccepted {
			t.Fatalf("send %d = %d %+v, want 202", i, status, a)
		}
	}
	waitFor(t, "five deliveries", func() bool { return len(s.accepted()) >= 5 })
	var keys []string
	for _, r := range s.accepted() {
		keys = append(keys, r.Key)
	}
	want := []string{
		"build:created:9:pending:1", "build:updated:9:running:2", "build:updated:9:failure:3",
		"build:completed:9", "build:updated:9:failure:4",
	}
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Fatalf("delivered (-want +got):\n%s", diff)
	}
	var p wire.WebhookPayload
	if err := json.Unmarshal(s.accepted()[3].Body, &p); err != nil {
		t.Fatal(err)
	}
	wantP := sends[2]
	wantP.Action = wire.ActionCompleted
	if diff := cmp.Diff(wantP, p); diff != "" {
		t.Errorf("build:completed body (-want +got):\n%s", diff)
	}
}

// TestRetryThenRecover: a sink failing its first attempts gets the event
// once it recovers.
func TestRetryThenRecover(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			s := newSink(t, func(n int) int {
				if n <= 3 {
					return http.StatusServiceUnavailable
				}
				return http.StatusNoContent
			})
			f := start(t, d, "sinks:\n"+httpSinkYAML("flaky", s.URL, "    max_attempts: 5\n"))
			f.post(t, buildEvent(wire.ActionCreated, 3, "pending", 1))
			waitFor(t, "the delivery", func() bool { return len(s.accepted()) == 1 })
			if got := s.accepted()[0].Attempt; got != "4" {
				t.Errorf("delivered on attempt %s, want 4", got)
			}
			var list struct{ Events []EventDeliveries }
			waitFor(t, "the delivery recorded", func() bool {
				f.api(t, "GET", "/api/events", testToken, &list)
				return list.Events[0].Deliveries[0].State == StateDelivered
			})
			if got := list.Events[0].Deliveries[0].Attempts; got != 4 {
				t.Errorf("recorded attempts = %d, want 4", got)
			}
		})
	}
}

// TestDeadLetterRedeliver: a sink down past the limit dead-letters the
// delivery; the API redelivers it once the sink is back.
func TestDeadLetterRedeliver(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			var down atomic.Bool
			down.Store(true)
			s := newSink(t, func(int) int {
				if down.Load() {
					return http.StatusBadGateway
				}
				return http.StatusOK
			})
			f := start(t, d, "sinks:\n"+httpSinkYAML("down", s.URL, "    max_attempts: 3\n"))
			f.post(t, buildEvent(wire.ActionCreated, 5, "pending", 1))

			var dead struct {
				DeadLetters []Delivery `json:"dead_letters"`
			}
			waitFor(t, "a dead letter", func() bool {
				f.api(t, "GET", "/api/dead-letters", testToken, &dead)
				return len(dead.DeadLetters) == 1
			})
			dl := dead.DeadLetters[0]
			if dl.Attempts != 3 || dl.Sink != "down" || dl.LastStatus != 502 || dl.Event == nil || dl.Event.Key != "build:created:5:pending:1" {
				t.Errorf("dead letter = %+v, want 3 attempts to down, last status 502, event build:created:5:pending:1", dl)
			}
			if got := s.requests(); got != 3 {
				t.Errorf("sink saw %d requests, want 3 (max_attempts)", got)
			}
			if m := f.metrics(t); !strings.Contains(m, `hangar_webhook_deliveries{state="dead"} 1`) ||
				!strings.Contains(m, `hangar_webhook_delivery_attempts_total{sink="down",state="dead"} 1`) {
				t.Errorf("metrics lack the dead letter:\n%s", m)
			}

			down.Store(false)
			path := "/api/deliveries/" + strconv.FormatInt(dl.ID, 10) + "/redeliver"
			if code := f.api(t, "POST", path, "", nil); code != http.StatusUnauthorized {
				t.Errorf("redeliver without token = %d, want 401", code)
			}
			if code := f.api(t, "POST", path, "wrong-token-0123456789", nil); code != http.StatusUnauthorized {
				t.Errorf("redeliver with a wrong token = %d, want 401", code)
			}
			if code := f.api(t, "POST", path, testToken, nil); code != http.StatusOK {
				t.Fatalf("redeliver = %d, want 200", code)
			}
			waitFor(t, "the redelivery", func() bool { return len(s.accepted()) == 1 })
			if got := s.accepted()[0].Key; got != "build:created:5:pending:1" {
				t.Errorf("redelivered key = %q, want build:created:5:pending:1", got)
			}
			waitFor(t, "an empty dead-letter list", func() bool {
				f.api(t, "GET", "/api/dead-letters", testToken, &dead)
				return len(dead.DeadLetters) == 0
			})
		})
	}
}
