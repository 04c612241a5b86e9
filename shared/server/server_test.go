package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hangar-ci/hangar/shared/reqlog"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// start serves services on a port-0 loopback listener, as the binary does,
// and returns the base URL, the log and a stop function that shuts down and
// returns Serve's error.
func start(t *testing.T, alone bool, services ...*Service) (string, *syncBuffer, func() error) {
	t.Helper()
	logs := &syncBuffer{}
	logger := NewLogger(logs, false)
	ln, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	env := NewEnv(logger)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, Handler(env, alone, services...), logger, services...) }()
	var once sync.Once
	var serveErr error
	stop := func() error {
		once.Do(func() { cancel(); serveErr = <-done })
		return serveErr
	}
	t.Cleanup(func() { stop() })
	return "http://" + ln.Addr().String(), logs, stop
}

func get(t *testing.T, url string) (int, string, http.Header) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header
}

func TestOperationalEndpoints(t *testing.T) {
	t.Parallel()
	var broken = errors.New("vault: connection refused")
	echo := &Service{Name: "echo", Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reqlog.Annotate(r.Context(), slog.String("repo", "octo/hello"))
		io.WriteString(w, r.URL.Path)
	})}
	sick := &Service{Name: "sick", Handler: http.NotFoundHandler(), Ready: func(context.Context) error { return broken }}
	base, logs, _ := start(t, false, echo, sick)

	if code, body, _ := get(t, base+"/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz = %d %q, want 200 ok", code, body)
	}
	code, body, _ := get(t, base+"/readyz")
	var states map[string]string
	json.Unmarshal([]byte(body), &states)
	if code != 503 || !cmp.Equal(states, map[string]string{"echo": "ok", "sick": broken.Error()}) {
		t.Errorf("/readyz = %d %v, want 503 naming the sick service's reason", code, states)
	}
	// Mounted services see paths relative to their root.
	for path, want := range map[string]string{"/echo": "/", "/echo/": "/", "/echo/hook": "/hook"} {
		if code, body, _ := get(t, base+path); code != 200 || body != want {
			t.Errorf("GET %s = %d %q, want 200 %q", path, code, body, want)
		}
	}
	// A caller's request id is echoed and logged with the annotations.
	req, _ := http.NewRequest(http.MethodGet, base+"/echo/x", nil)
	req.Header.Set(RequestIDHeader, "req-42")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if got := res.Header.Get(RequestIDHeader); got != "req-42" {
		t.Errorf("X-Request-Id = %q, want req-42", got)
	}
	if !strings.Contains(logs.String(), `"request_id":"req-42"`) || !strings.Contains(logs.String(), `"repo":"octo/hello"`) {
		t.Errorf("access log lacks request id or annotation:\n%s", logs)
	}
	code, body, _ = get(t, base+"/metrics")
	if code != 200 || !strings.Contains(body, `hangar_http_requests_total{code="200",outcome="ok",service="echo"}`) ||
		!strings.Contains(body, "hangar_http_request_duration_seconds_bucket") || !strings.Contains(body, "go_goroutines") {
		t.Errorf("/metrics = %d, missing request metrics:\n%.2000s", code, body)
	}
}

func TestAloneAnswersAtRoot(t *testing.T) {
	t.Parallel()
	svc := &Service{Name: "config", Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "config:"+r.URL.Path) })}
	base, _, _ := start(t, true, svc)
	for path, want := range map[string]string{"/": "config:/", "/config": "config:/", "/hook": "config:/hook"} {
		if code, body, _ := get(t, base+path); code != 200 || body != want {
			t.Errorf("GET %s = %d %q, want %q", path, code, body, want)
		}
	}
}

func TestPanicBecomes500(t *testing.T) {
	t.Parallel()
	svc := &Service{Name: "boom", Handler: http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("bad thing") })}
	base, logs, _ := start(t, false, svc)
	if code, _, _ := get(t, base+"/boom"); code != 500 {
		t.Errorf("status = %d, want 500", code)
	}
	if code, _, _ := get(t, base+"/healthz"); code != 200 {
		t.Errorf("server died after a panic: /healthz %d", code)
	}
	if !strings.Contains(logs.String(), "bad thing") {
		t.Errorf("panic not logged:\n%s", logs)
	}
}

// TestGracefulShutdown: an in-flight request finishes and background work
// is cancelled and awaited before Serve returns.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	entered := make(chan struct{})
	release := make(chan struct{})
	var ranToEnd bool
	var mu sync.Mutex
	slow := &Service{
		Name: "slow",
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			close(entered)
			<-release
			io.WriteString(w, "finished")
		}),
		Run: func(ctx context.Context) error {
			<-ctx.Done()
			time.Sleep(20 * time.Millisecond) // cleanup work
			mu.Lock()
			ranToEnd = true
			mu.Unlock()
			return nil
		},
	}
	base, _, stop := start(t, false, slow)
	got := make(chan string, 1)
	go func() {
		_, body, _ := get(t, base+"/slow")
		got <- body
	}()
	<-entered
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	time.Sleep(50 * time.Millisecond)
	close(release)
	if body := <-got; body != "finished" {
		t.Errorf("in-flight request = %q, want finished", body)
	}
	if err := <-stopped; err != nil {
		t.Errorf("Serve = %v, want nil after a clean shutdown", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !ranToEnd {
		t.Error("Serve returned before background work finished")
	}
}

func TestBackgroundFailureStopsServe(t *testing.T) {
	t.Parallel()
	failing := &Service{Name: "worker", Run: func(context.Context) error { return errors.New("disk full") }}
	ln, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	logger := NewLogger(io.Discard, false)
	done := make(chan error, 1)
	go func() { done <- Serve(context.Background(), ln, Handler(NewEnv(logger), false), logger, failing) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "worker: disk full") {
			t.Errorf("Serve = %v, want the worker's error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not stop when its background work failed")
	}
}

func TestListenRefusesBusyAddress(t *testing.T) {
	t.Parallel()
	ln, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if _, err := Listen(ln.Addr().String()); err == nil {
		t.Error("Listen on a busy address = nil, want an error")
	}
}

func TestAllReady(t *testing.T) {
	t.Parallel()
	ok := func(context.Context) error { return nil }
	vault := func(context.Context) error { return errors.New("vault: sealed") }
	policy := func(context.Context) error { return errors.New("policy.yaml: line 3") }
	if err := AllReady(ok, nil, ok)(context.Background()); err != nil {
		t.Errorf("AllReady of healthy checks = %v, want nil", err)
	}
	err := AllReady(vault, ok, policy)(context.Background())
	if err == nil || !strings.Contains(err.Error(), "vault: sealed") || !strings.Contains(err.Error(), "policy.yaml: line 3") {
		t.Errorf("AllReady = %v, want both failures", err)
	}
}

func TestRootServiceAnswersUnclaimedPaths(t *testing.T) {
	t.Parallel()
	echo := func(name string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, name+" "+r.URL.Path)
		})
	}
	ext := &Service{Name: "config", Handler: echo("config")}
	core := &Service{Name: "core", Handler: echo("core"), Root: true}
	base, _, _ := start(t, false, ext, core)
	for path, want := range map[string]string{
		"/config":           "config /",
		"/core/hook":        "core /hook",
		"/hook":             "core /hook",
		"/api/repos/octo/x": "core /api/repos/octo/x",
		"/rpc/v2/stage":     "core /rpc/v2/stage",
		"/healthz":          "ok\n",
	} {
		if code, body, _ := get(t, base+path); code != 200 || body != want {
			t.Errorf("GET %s = %d %q, want 200 %q", path, code, body, want)
		}
	}
}
