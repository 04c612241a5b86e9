package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hangar-ci/hangar/shared/wire"
)

const rpcSecret = "e2e-rpc-secret-0123456789abcdef"

// watchProxy sits between the runners and hangar and records, per build,
// when each of the runners' watch calls started and ended: the tests time
// a cancel into the runner's pause between two watches with it.
type watchProxy struct {
	Host string
	mu   sync.Mutex
	ends map[string][]watchCall // by build id
}

type watchCall struct {
	Start, End time.Time
	Status     int
}

func newWatchProxy(t testing.TB, target string) *watchProxy {
	u, _ := url.Parse(target)
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.FlushInterval = -1
	rp.ErrorLog = log.New(io.Discard, "", 0) // runners stopping mid-poll are expected
	p := &watchProxy{ends: map[string][]watchCall{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, isWatch := strings.CutPrefix(r.URL.Path, "/rpc/v2/build/")
		id, isWatch = strings.CutSuffix(id, "/watch")
		if !isWatch {
			rp.ServeHTTP(w, r)
			return
		}
		rec := &statusRecorder{ResponseWriter: w}
		call := watchCall{Start: time.Now()}
		rp.ServeHTTP(rec, r)
		call.End, call.Status = time.Now(), rec.status
		p.mu.Lock()
		p.ends[id] = append(p.ends[id], call)
		p.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	p.Host = strings.TrimPrefix(srv.URL, "http://")
	return p
}

// watches returns the finished watch calls of build id.
func (p *watchProxy) watches(id int64) []watchCall {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]watchCall(nil), p.ends[fmt.Sprint(id)]...)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// waitBuild polls the build until done says so, or fails after timeout.
func (h *coreHangar) waitBuild(t *testing.T, slug string, number int64, timeout time.Duration, what string, done func(wire.Build) bool) wire.Build {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var b wire.Build
		code := h.api(http.MethodGet, fmt.Sprintf("/repos/%s/builds/%d", slug, number), nil, &b)
		if code == http.StatusOK && done(b) {
			return b
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s#%d: not %s after %v: %s %q with stages %s", slug, number, what, timeout, b.Status, b.Error, stagesSummary(b))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func stagesSummary(b wire.Build) string {
	var out []string
	for _, s := range b.Stages {
		var steps []string
		for _, p := range s.Steps {
			steps = append(steps, fmt.Sprintf("%s=%s(%d)", p.Name, p.Status, p.ExitCode))
		}
		out = append(out, fmt.Sprintf("%s=%s[%s]%s", s.Name, s.Status, strings.Join(steps, " "), s.Error))
	}
	return strings.Join(out, "; ")
}

func stepOf(b wire.Build, stage, step int) *wire.Step {
	for _, s := range b.Stages {
		if s.Number != stage {
			continue
		}
		for _, p := range s.Steps {
			if p.Number == step {
				return p
			}
		}
	}
	return nil
}

// raw calls the API with the token and returns status and body.
func (h *coreHangar) raw(method, path string) (int, []byte) {
	h.t.Helper()
	req, _ := http.NewRequest(method, h.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+coreToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// sseEvent is one event of a log stream, with when it arrived.
type sseEvent struct {
	Event, Data string
	At          time.Time
}

// stream opens Drone's SSE log stream and sends its events until it ends.
func (h *coreHangar) stream(t *testing.T, path string) <-chan sseEvent {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, h.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+coreToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/event-stream" {
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		t.Fatalf("stream %s: got %d %q %s, want 200 text/event-stream", path, res.StatusCode, res.Header.Get("Content-Type"), b)
	}
	out := make(chan sseEvent, 1000)
	go func() {
		defer close(out)
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.Data != "" || ev.Event != "" {
					ev.At = time.Now()
					out <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "data: "):
				ev.Data = strings.TrimPrefix(line, "data: ")
			case strings.HasPrefix(line, "event: "):
				ev.Event = strings.TrimPrefix(line, "event: ")
			}
		}
	}()
	return out
}

// logText joins the outputs of a stored log (Drone's JSON array of lines).
func logText(t *testing.T, data []byte) string {
	t.Helper()
	var lines []struct {
		Pos int    `json:"pos"`
		Out string `json:"out"`
	}
	if err := json.Unmarshal(data, &lines); err != nil {
		t.Fatalf("stored log %s: %v", data, err)
	}
	var b strings.Builder
	for i, l := range lines {
		if l.Pos != i {
			t.Errorf("stored log line %d has position %d", i, l.Pos)
		}
		b.WriteString(l.Out)
	}
	return b.String()
}
