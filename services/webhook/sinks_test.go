package webhook

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hangar-ci/hangar/shared/envconf"
	"github.com/hangar-ci/hangar/shared/sqldb"
	"github.com/hangar-ci/hangar/shared/wire"
)

func TestParseSinks(t *testing.T) {
	t.Parallel()
	lookup := envconf.Map(map[string]string{"AUDIT_SECRET": "from-env"})
	tests := []struct {
		name    string
		yaml    string
		want    []Sink
		wantErr []string
	}{
		{"empty file", "# nothing yet\n", nil, nil},
		{"defaults and secret_env", `
sinks:
  - name: audit
    url: https://audit.example.com/hook
    secret_env: AUDIT_SECRET
  - name: chat
    kind: slack
    url: https://hooks.slack.com/services/T/B/X
    events: ["build:completed"]
    repos: ["octo/*"]
    status: [failure]
    timeout: 3s
    max_attempts: 2
    backoff: 100ms
    max_backoff: 1s
    concurrency: 1
`, []Sink{
			{Name: "audit", Kind: KindHTTP, URL: "https://audit.example.com/hook", Secret: "from-env", SecretEnv: "AUDIT_SECRET",
				Timeout: DefaultTimeout, MaxAttempts: DefaultMaxAttempts, Backoff: DefaultBackoff, MaxBackoff: DefaultMaxBackoff, Concurrency: DefaultConcurrency},
			{Name: "chat", Kind: KindSlack, URL: "https://hooks.slack.com/services/T/B/X", Events: []string{"build:completed"},
				Repos: []string{"octo/*"}, Status: []string{"failure"}, Timeout: 3 * time.Second, MaxAttempts: 2,
				Backoff: 100 * time.Millisecond, MaxBackoff: time.Second, Concurrency: 1},
		}, nil},
		{"every problem at once", `
sinks:
  - name: Bad Name
    kind: smoke
    url: ftp://x
    events: ["[build"]
  - name: nosecret
    url: http://127.0.0.1:9/x
  - name: nosecret
    url: http://127.0.0.1:9/x
    secret_env: UNSET_VARIABLE
`, nil, []string{"name must be", `kind "smoke"`, "url must be", `events pattern "[build"`,
			"needs a secret", "name used twice", "secret_env UNSET_VARIABLE is not set"}},
		{"unknown field", "sinks:\n  - name: a\n    ur1: http://x\n", nil, []string{"field ur1 not found"}},
		{"not YAML", "sinks: [\n", nil, []string{"yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseSinks([]byte(tt.yaml), lookup)
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("parseSinks = %v, want nil", err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("parseSinks (-want +got):\n%s", diff)
				}
				return
			}
			if err == nil {
				t.Fatalf("parseSinks = nil error, want %q", tt.wantErr)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("parseSinks error = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestSinkMatch(t *testing.T) {
	t.Parallel()
	build := Event{Event: "build", Action: "updated", Repo: "octo/api", BuildID: 4, Status: "failure"}
	repo := Event{Event: "repo", Action: "enabled", Repo: "acme/web"}
	tests := []struct {
		name string
		sink Sink
		e    Event
		want bool
	}{
		{"no filters", Sink{}, repo, true},
		{"event glob", Sink{Events: []string{"build:*"}}, build, true},
		{"bare event does not match event:action", Sink{Events: []string{"build"}}, build, false},
		{"other event", Sink{Events: []string{"build:*"}}, repo, false},
		{"repo glob", Sink{Repos: []string{"octo/*"}}, build, true},
		{"repo glob misses", Sink{Repos: []string{"octo/*"}}, repo, false},
		{"doublestar", Sink{Repos: []string{"**"}}, repo, true},
		{"status", Sink{Status: []string{"failure", "error"}}, build, true},
		{"status misses", Sink{Status: []string{"success"}}, build, false},
		{"status needs a build", Sink{Status: []string{"failure"}}, repo, false},
		{"all together", Sink{Events: []string{"build:updated"}, Repos: []string{"octo/api"}, Status: []string{"failure"}}, build, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.sink.Match(tt.e); got != tt.want {
				t.Errorf("Match = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestSinksHotReload: a changed sinks file routes new events to the new
// sinks; a broken one keeps the last good sinks and fails readiness.
func TestSinksHotReload(t *testing.T) {
	t.Parallel()
	a, b := newSink(t, nil), newSink(t, nil)
	f := start(t, sqldb.SQLite, "sinks:\n"+httpSinkYAML("a", a.URL, ""))
	if _, res := f.post(t, buildEvent(wire.ActionCreated, 1, "pending", 1)); res.Deliveries != 1 {
		t.Fatalf("deliveries = %d, want 1", res.Deliveries)
	}
	waitFor(t, "sink a", func() bool { return len(a.accepted()) == 1 })

	writeSinks(t, f.root, "sinks:\n"+httpSinkYAML("b", b.URL, ""))
	if err := f.dir.Reload(); err != nil {
		t.Fatal(err)
	}
	// The intake routes with the sinks the worker loop last loaded; send
	// until the new file is in use.
	n := int64(2)
	waitFor(t, "sink b", func() bool {
		f.post(t, buildEvent(wire.ActionCreated, n, "pending", 1))
		n++
		return len(b.accepted()) > 0
	})
	routedTo := func(build int64) []string {
		t.Helper()
		if status, res := f.post(t, buildEvent(wire.ActionCreated, build, "pending", 1)); status != http.StatusAccepted {
			t.Fatalf("send = %d %+v, want 202", status, res)
		}
		var list struct{ Events []EventDeliveries }
		f.api(t, "GET", "/api/events?limit=1", testToken, &list)
		var sinks []string
		for _, d := range list.Events[0].Deliveries {
			sinks = append(sinks, d.Sink)
		}
		return sinks
	}
	if got := routedTo(100); !cmp.Equal(got, []string{"b"}) {
		t.Errorf("after the change, routed to %v, want [b]", got)
	}

	writeSinks(t, f.root, "sinks:\n  - name: b\n    url: [broken\n")
	if err := f.dir.Reload(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "readiness to fail", func() bool { return f.svc.Ready(context.Background()) != nil })
	if err := f.svc.Ready(context.Background()); !strings.Contains(err.Error(), "sinks.yaml") {
		t.Errorf("Ready = %v, want an error naming the sinks file", err)
	}
	if got := routedTo(101); !cmp.Equal(got, []string{"b"}) {
		t.Errorf("with a broken file, routed to %v, want the last good [b]", got)
	}
	waitFor(t, "sink b to get the event", func() bool {
		for _, r := range b.accepted() {
			if r.Key == "build:created:101:pending:1" {
				return true
			}
		}
		return false
	})
}

// TestBrokenSinksAtStart: with no valid sinks file ever read, events are
// refused with 503 rather than stored for nobody, and readiness says why.
func TestBrokenSinksAtStart(t *testing.T) {
	t.Parallel()
	f := start(t, sqldb.SQLite, "sinks:\n  - name: x\n    kind: carrier-pigeon\n")
	status, _ := f.post(t, buildEvent(wire.ActionCreated, 1, "pending", 1))
	if status != http.StatusServiceUnavailable {
		t.Errorf("send = %d, want 503", status)
	}
	if err := f.svc.Ready(context.Background()); err == nil || !strings.Contains(err.Error(), "carrier-pigeon") {
		t.Errorf("Ready = %v, want the sinks file's problem", err)
	}
	var list struct{ Events []EventDeliveries }
	if f.api(t, "GET", "/api/events", testToken, &list); len(list.Events) != 0 {
		t.Errorf("stored %d events, want none", len(list.Events))
	}
}
