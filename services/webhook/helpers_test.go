package webhook

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hangar-ci/hangar/shared/envconf"
	"github.com/hangar-ci/hangar/shared/httpsig"
	"github.com/hangar-ci/hangar/shared/server"
	"github.com/hangar-ci/hangar/shared/servicetest"
	"github.com/hangar-ci/hangar/shared/sqldb"
	"github.com/hangar-ci/hangar/shared/tree"
	"github.com/hangar-ci/hangar/shared/wire"
)

const (
	testSecret = "drone-webhook-secret-0123456789ab"
	sinkSecret = "sink-secret-abcdefghijklmnopqrstuv"
	testToken  = "api-token-0123456789abcdef"
)

var dialects = []sqldb.Dialect{sqldb.SQLite, sqldb.Postgres}

// fixture is a running webhook service on real loopback HTTP.
type fixture struct {
	URL  string
	dir  *tree.Dir
	root string
	svc  *server.Service
}

// start runs the service over a fresh database of dialect with sinksYAML
// as the sinks file, until the test ends.
func start(t testing.TB, dialect sqldb.Dialect, sinksYAML string, adjust ...func(*Options)) *fixture {
	t.Helper()
	dir, root := servicetest.Tree(t, map[string]string{sinksPath: sinksYAML})
	env := servicetest.Env(dir, nil)
	opts := Options{
		Signature: httpsig.Settings{Secret: testSecret, Skew: time.Minute, MaxBody: 1 << 20},
		DB:        sqldb.TestDB(t, dialect), APIToken: testToken, Poll: 20 * time.Millisecond,
		Lookup: envconf.Map(map[string]string{"SINK_SECRET": sinkSecret}),
	}
	for _, f := range adjust {
		f(&opts)
	}
	svc, err := New(opts, env)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{URL: servicetest.Start(t, svc, env), dir: dir, root: root, svc: svc}
}

// sinksPath is where the service reads its sinks in the config repository.
const sinksPath = "_hangar/sinks.yaml"

// writeSinks writes content as the sinks file of the repository at root.
func writeSinks(t testing.TB, root, content string) {
	t.Helper()
	servicetest.WriteFiles(t, root, map[string]string{sinksPath: content})
}

// droneRequest builds a request exactly as the Drone server's webhook
// sender does (drone-protocol.md §1.2), written from the specification
// rather than through httpsig so the two can disagree.
func droneRequest(t testing.TB, url string, body []byte, event, secret string, date time.Time) *http.Request {
	t.Helper()
	r, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	digest := "SHA-256=" + base64.StdEncoding.EncodeToString(sum[:])
	d := date.UTC().Format(http.TimeFormat)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("date: " + d + "\ndigest: " + digest))
	r.Header.Set("X-Drone-Event", event)
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Digest", digest)
	r.Header.Set("Date", d)
	r.Header.Set("Signature", `keyId="hmac-key",algorithm="hmac-sha256",signature="`+
		base64.StdEncoding.EncodeToString(m.Sum(nil))+`",headers="date digest"`)
	return r
}

// post sends p as the Drone server would and returns the status and body.
func (f *fixture) post(t testing.TB, p wire.WebhookPayload) (int, accepted) {
	t.Helper()
	body, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(droneRequest(t, f.URL+"/", body, p.Event, testSecret, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var a accepted
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode < 300 {
		if err := json.Unmarshal(b, &a); err != nil {
			t.Fatalf("answer %q: %v", b, err)
		}
	}
	return res.StatusCode, a
}

// api calls the token-protected API and decodes a JSON answer into out.
func (f *fixture) api(t testing.TB, method, path, token string, out any) int {
	t.Helper()
	r, _ := http.NewRequest(method, f.URL+path, nil)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if out != nil && res.StatusCode == http.StatusOK {
		if err := json.NewDecoder(res.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
	return res.StatusCode
}

// buildEvent is a build webhook as Drone sends it.
func buildEvent(action string, buildID int64, status string, version int64) wire.WebhookPayload {
	var finished int64
	if terminal[status] {
		finished = 1700000083
	}
	return wire.WebhookPayload{
		Event:  wire.EventBuild,
		Action: action,
		Repo:   &wire.Repository{ID: 7, Namespace: "octo", Name: "api", Slug: "octo/api", Branch: "main", Visibility: "private", Active: true},
		Build: &wire.Build{
			ID: buildID, RepoID: 7, Number: buildID, Status: status, Event: "push", Target: "main", Ref: "refs/heads/main",
			After: "9c1e2a4", Author: "octocat", AuthorName: "The Octocat", Message: "Fix the flaky test\n\nDetails.",
			Started: 1700000000, Finished: finished, Version: version,
		},
		System: &wire.System{Proto: "https", Host: "drone.example.com", Link: "https://drone.example.com", Version: "1.10.1"},
	}
}

// received is one request a sink got.
type received struct {
	Key, Event, Delivery, Attempt string
	Body                          []byte
	SigErr                        error
}

// sink is an httptest receiver that records what it gets and answers
// with respond (nil: 200).
type sink struct {
	*httptest.Server
	mu      sync.Mutex
	n       int // requests started
	got     []received
	changed chan struct{}
	respond func(n int) int // n counts requests from 1
}

func newSink(t testing.TB, respond func(n int) int) *sink {
	s := &sink{changed: make(chan struct{}, 1), respond: respond}
	v, err := httpsig.NewVerifier(sinkSecret)
	if err != nil {
		t.Fatal(err)
	}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, sigErr := v.Verify(r)
		if sigErr != nil {
			body, _ = io.ReadAll(r.Body)
		}
		s.mu.Lock()
		s.n++
		n := s.n
		s.mu.Unlock()
		// respond may block (a hanging sink); the lock is not held then.
		status := http.StatusOK
		if s.respond != nil {
			status = s.respond(n)
		}
		s.mu.Lock()
		if status < 300 {
			s.got = append(s.got, received{r.Header.Get(HeaderEventKey), r.Header.Get("X-Drone-Event"),
				r.Header.Get(HeaderDelivery), r.Header.Get(HeaderAttempt), body, sigErr})
		} else {
			s.got = append(s.got, received{Attempt: "refused"})
		}
		s.mu.Unlock()
		select {
		case s.changed <- struct{}{}:
		default:
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(s.Close)
	return s
}

// accepted returns the requests the sink answered with 2xx.
func (s *sink) accepted() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.DeleteFunc(slices.Clone(s.got), func(r received) bool { return r.Attempt == "refused" })
}

// requests counts the requests the sink has started to answer.
func (s *sink) requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

// waitFor waits until cond holds or the deadline passes, then fails with
// what describe says.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func httpSinkYAML(name, url string, extra string) string {
	return fmt.Sprintf("  - name: %s\n    kind: http\n    url: %s\n    secret_env: SINK_SECRET\n    backoff: 10ms\n    max_backoff: 40ms\n%s", name, url, extra)
}

// metrics returns the process's Prometheus exposition.
func (f *fixture) metrics(t testing.TB) string {
	t.Helper()
	res, err := http.Get(f.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}
