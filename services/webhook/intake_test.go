package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hangar-ci/hangar/shared/httpsig"
	"github.com/hangar-ci/hangar/shared/server"
	"github.com/hangar-ci/hangar/shared/servicetest"
	"github.com/hangar-ci/hangar/shared/sqldb"
	"github.com/hangar-ci/hangar/shared/wire"
)

// TestIntakeRejects: bad input gets a precise 4xx and nothing is stored.
func TestIntakeRejects(t *testing.T) {
	t.Parallel()
	s := newSink(t, nil)
	// A small body limit: the server then drains the refused rest and
	// answers on an intact connection instead of resetting it mid-upload.
	f := start(t, sqldb.SQLite, "sinks:\n"+httpSinkYAML("audit", s.URL, ""), func(o *Options) { o.Signature.MaxBody = 16 << 10 })
	good, _ := json.Marshal(buildEvent(wire.ActionCreated, 1, "pending", 1))
	marshal := func(p wire.WebhookPayload) []byte { b, _ := json.Marshal(p); return b }
	noBuild := buildEvent(wire.ActionCreated, 1, "pending", 1)
	noBuild.Build = nil
	completed := buildEvent(wire.ActionCompleted, 1, "success", 2)
	noRepo := wire.WebhookPayload{Event: wire.EventRepo, Action: wire.ActionEnabled}

	tests := []struct {
		name   string
		req    func() *http.Request
		status int
		reason string
	}{
		{"wrong secret", func() *http.Request {
			return droneRequest(t, f.URL+"/", good, "build", "not-the-secret-0123456789", time.Now())
		}, 401, "signature does not match"},
		{"stale date", func() *http.Request {
			return droneRequest(t, f.URL+"/", good, "build", testSecret, time.Now().Add(-10*time.Minute))
		}, 401, "outside the allowed skew"},
		{"body swapped after signing", func() *http.Request {
			r := droneRequest(t, f.URL+"/", good, "build", testSecret, time.Now())
			other := bytes.Replace(good, []byte(`"pending"`), []byte(`"success"`), 1)
			r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(other)), int64(len(other))
			return r
		}, 401, "Digest does not match"},
		{"unsigned", func() *http.Request {
			r := droneRequest(t, f.URL+"/", good, "build", testSecret, time.Now())
			r.Header.Del("Signature")
			return r
		}, 401, "not signed"},
		{"GET", func() *http.Request {
			r := droneRequest(t, f.URL+"/", good, "build", testSecret, time.Now())
			r.Method = http.MethodGet
			return r
		}, 405, "not allowed"},
		{"not JSON", func() *http.Request {
			return droneRequest(t, f.URL+"/", []byte(`{"event":`), "build", testSecret, time.Now())
		}, 400, "invalid JSON"},
		{"X-Drone-Event disagrees", func() *http.Request {
			return droneRequest(t, f.URL+"/", good, "repo", testSecret, time.Now())
		}, 400, "does not match the body's event"},
		{"build event without build", func() *http.Request {
			return droneRequest(t, f.URL+"/", marshal(noBuild), "build", testSecret, time.Now())
		}, 400, "needs a build"},
		{"repo event without repo", func() *http.Request {
			return droneRequest(t, f.URL+"/", marshal(noRepo), "repo", testSecret, time.Now())
		}, 400, "needs a repo"},
		{"build:completed from a sender", func() *http.Request {
			return droneRequest(t, f.URL+"/", marshal(completed), "build", testSecret, time.Now())
		}, 400, "synthesised by Hangar"},
		{"odd event name", func() *http.Request {
			return droneRequest(t, f.URL+"/", []byte(`{"event":"Build!","action":"created"}`), "", testSecret, time.Now())
		}, 400, "not an event name"},
		{"invalid UTF-8", func() *http.Request {
			b := bytes.Replace(good, []byte("Fix the flaky"), []byte("Fix \xff flaky"), 1)
			return droneRequest(t, f.URL+"/", b, "build", testSecret, time.Now())
		}, 400, "not valid UTF-8"},
		{"too large", func() *http.Request {
			b := append([]byte(`{"event":"build","action":"created","x":"`), bytes.Repeat([]byte("a"), 20<<10)...)
			return droneRequest(t, f.URL+"/", append(b, `"}`...), "build", testSecret, time.Now())
		}, 413, "exceeds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res, err := http.DefaultClient.Do(tt.req())
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			if res.StatusCode != tt.status || !strings.Contains(string(b), tt.reason) {
				t.Errorf("answer = %d %q, want %d containing %q", res.StatusCode, b, tt.status, tt.reason)
			}
		})
	}
	t.Cleanup(func() {
		var list struct{ Events []EventDeliveries }
		if code := f.api(t, "GET", "/api/events", testToken, &list); code != 200 || len(list.Events) != 0 {
			t.Errorf("after rejected requests: GET /api/events = %d with %d events, want 200 with none", code, len(list.Events))
		}
	})
}

// TestAPIRejects: the API's bad input gets a 4xx and changes nothing.
func TestAPIRejects(t *testing.T) {
	t.Parallel()
	s := newSink(t, nil)
	f := start(t, sqldb.SQLite, "sinks:\n"+httpSinkYAML("audit", s.URL, ""))
	f.post(t, buildEvent(wire.ActionCreated, 1, "pending", 1))
	tests := []struct {
		method, path, token string
		status              int
	}{
		{"GET", "/api/events", "", 401},
		{"GET", "/api/events", "nope-nope-nope-nope", 401},
		{"GET", "/api/events?limit=0", testToken, 400},
		{"GET", "/api/events/abc", testToken, 400},
		{"GET", "/api/events/999", testToken, 404},
		{"GET", "/api/events/1", "", 401},
		{"GET", "/api/events?limit=abc", testToken, 400},
		{"GET", "/api/dead-letters?before=-1", testToken, 400},
		{"POST", "/api/deliveries/abc/redeliver", testToken, 400},
		{"POST", "/api/deliveries/999/redeliver", testToken, 404},
		{"GET", "/api/deliveries/1/redeliver", testToken, 405},
	}
	for _, tt := range tests {
		if got := f.api(t, tt.method, tt.path, tt.token, nil); got != tt.status {
			t.Errorf("%s %s = %d, want %d", tt.method, tt.path, got, tt.status)
		}
	}
	waitFor(t, "the delivery", func() bool { return len(s.accepted()) == 1 })
	var list struct{ Events []EventDeliveries }
	waitFor(t, "the delivery recorded", func() bool {
		f.api(t, "GET", "/api/events", testToken, &list)
		return list.Events[0].Deliveries[0].State == StateDelivered
	})
	// A delivered event may be sent again on purpose; a pending one not.
	if got := f.api(t, "POST", "/api/deliveries/1/redeliver", testToken, nil); got != 200 {
		t.Errorf("redeliver a delivered delivery = %d, want 200", got)
	}
	waitFor(t, "the second delivery", func() bool { return len(s.accepted()) == 2 })
	if a := s.accepted(); a[0].Key != a[1].Key {
		t.Errorf("redelivered key %q, want the same key %q", a[1].Key, a[0].Key)
	}
}

// TestStoreFailure: a failing database answers 503 with the reason.
func TestStoreFailure(t *testing.T) {
	t.Parallel()
	dir, _ := servicetest.Tree(t, map[string]string{sinksPath: "sinks: []\n"})
	env := servicetest.Env(dir, nil)
	db := sqldb.TestDB(t, sqldb.SQLite)
	svc, err := New(Options{Signature: httpsig.Settings{Secret: testSecret, Skew: time.Minute, MaxBody: 1 << 20}, DB: db}, env)
	if err != nil {
		t.Fatal(err)
	}
	// Served without Run: the delivery worker would only meet the closed
	// database; this test is about the intake's answer.
	url := servicetest.Start(t, &server.Service{Name: svc.Name, Handler: svc.Handler, Ready: svc.Ready}, env)
	db.Close()
	body, _ := json.Marshal(buildEvent(wire.ActionCreated, 1, "pending", 1))
	res, err := http.DefaultClient.Do(droneRequest(t, url+"/", body, "build", testSecret, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(b), "storing the event failed") {
		t.Errorf("answer = %d %q, want 503 naming the storage failure", res.StatusCode, b)
	}
	if err := svc.Ready(context.Background()); err == nil || !strings.Contains(err.Error(), "event store") {
		t.Errorf("Ready = %v, want the event store's error", err)
	}
}
