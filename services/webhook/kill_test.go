package webhook

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hangar-ci/hangar/shared/sqldb"
	"github.com/hangar-ci/hangar/shared/wire"
)

// TestKill9 runs the real binary, kills it with SIGKILL in the middle of a
// burst of 1,000 events and restarts it: every accepted event reaches the
// sink, in order per build, and nothing arrives twice except the few
// deliveries in flight at the kill, which carry the same idempotency key.
func TestKill9(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			killAndRestart(t, bin, d)
		})
	}
}

const (
	killBuilds      = 100
	eventsPerBuild  = 10
	killConcurrency = 4
)

func killAndRestart(t *testing.T, bin string, dialect sqldb.Dialect) {
	s := newSink(t, nil)
	root := t.TempDir()
	writeSinks(t, root, "sinks:\n"+httpSinkYAML("audit", s.URL, fmt.Sprintf("    timeout: 1s\n    concurrency: %d\n", killConcurrency)))
	driver, dsn := string(dialect), "file:"+filepath.Join(t.TempDir(), "webhook.db")
	if dialect == sqldb.Postgres {
		dsn = freshSchema(t)
	}
	addr := freeAddr(t)
	// A clean environment: a DRONE_WEBHOOK_SECRET or HANGAR_* variable of
	// the machine running the tests must not reach the subprocess.
	env := append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "TMPDIR=" + os.TempDir()},
		"DRONE_BIND="+addr, "DRONE_SECRET="+testSecret, "HANGAR_REPO_DIR="+root,
		"HANGAR_WEBHOOK_DATABASE_DRIVER="+driver, "HANGAR_WEBHOOK_DATABASE_DATASOURCE="+dsn,
		"SINK_SECRET="+sinkSecret, "HANGAR_WEBHOOK_POLL=50ms", "HANGAR_DATA_DIR="+t.TempDir())
	logs := filepath.Join(t.TempDir(), "hangar.log")
	proc := startProc(t, bin, env, logs, addr)

	// Each sender owns whole builds and sends a build's events in order,
	// retrying until the service answers 2xx, as a patient sender would.
	var acceptedN atomic.Int64
	order := make([][]string, killBuilds) // per build, keys in acceptance order
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for b := g; b < killBuilds; b += 8 {
				for _, p := range buildSequence(int64(b + 1)) {
					body, _ := json.Marshal(p)
					for attempt := 0; ; attempt++ {
						if attempt > 2000 {
							t.Errorf("build %d: never accepted", b+1)
							return
						}
						res, err := http.DefaultClient.Do(droneRequest(t, "http://"+addr+"/", body, p.Event, testSecret, time.Now()))
						if err == nil {
							res.Body.Close()
							if res.StatusCode < 300 {
								break
							}
						}
						time.Sleep(20 * time.Millisecond)
					}
					order[b] = append(order[b], keyOf(p))
					acceptedN.Add(1)
				}
			}
		})
	}
	waitFor(t, "300 accepted events", func() bool { return acceptedN.Load() >= 300 })
	if err := proc.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	proc.Wait()
	startProc(t, bin, env, logs, addr)
	wg.Wait()
	if got := acceptedN.Load(); got != killBuilds*eventsPerBuild {
		t.Fatalf("accepted %d events, want %d", got, killBuilds*eventsPerBuild)
	}

	want := killBuilds * (eventsPerBuild + 1) // with one build:completed each
	deadline := time.Now().Add(60 * time.Second)
	var seen map[string]int
	for {
		seen = map[string]int{}
		for _, r := range s.accepted() {
			seen[r.Key]++
		}
		if len(seen) >= want || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(seen) != want {
		var b []byte
		all, _ := os.ReadFile(logs)
		for _, line := range strings.SplitAfter(string(all), "\n") {
			if !strings.Contains(line, `"msg":"request"`) && len(b) < 6000 {
				b = append(b, line...)
			}
		}
		t.Fatalf("sink got %d distinct events, want %d; end of the service log:\n%s", len(seen), want, b)
	}
	extra := 0
	for _, n := range seen {
		extra += n - 1
	}
	// Only an attempt in flight when the process died can be repeated.
	if extra > killConcurrency {
		t.Errorf("sink got %d repeated deliveries, want at most %d (the attempts in flight at the kill)", extra, killConcurrency)
	}
	// Order per build, by first receipt.
	firsts := map[string][]string{}
	dedup := map[string]bool{}
	for _, r := range s.accepted() {
		if r.SigErr != nil {
			t.Fatalf("delivery %s: signature %v", r.Key, r.SigErr)
		}
		if dedup[r.Key] {
			continue
		}
		dedup[r.Key] = true
		build := strings.Split(r.Key, ":")[2]
		firsts[build] = append(firsts[build], r.Key)
	}
	for b := range killBuilds {
		id := fmt.Sprint(b + 1)
		wantOrder := append(append([]string{}, order[b]...), "build:completed:"+id)
		// build:completed follows the terminal event, which is the last.
		if diff := cmp.Diff(wantOrder, firsts[id]); diff != "" {
			t.Errorf("build %s delivered out of order (-want +got):\n%s", id, diff)
			break
		}
	}
	t.Logf("%s: %d events accepted, %d delivered, %d repeated after the kill", dialect, killBuilds*eventsPerBuild, want, extra)
}

// buildSequence is one build's life: created, eight step updates, success.
func buildSequence(id int64) []wire.WebhookPayload {
	out := []wire.WebhookPayload{buildEvent(wire.ActionCreated, id, "pending", 1)}
	for v := int64(2); v < eventsPerBuild; v++ {
		out = append(out, buildEvent(wire.ActionUpdated, id, "running", v))
	}
	return append(out, buildEvent(wire.ActionUpdated, id, "success", eventsPerBuild))
}

func keyOf(p wire.WebhookPayload) string {
	return fmt.Sprintf("build:%s:%d:%s:%d", p.Action, p.Build.ID, p.Build.Status, p.Build.Version)
}

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// TestMain removes the binary buildBinary made.
func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// buildBinary builds the real hangar binary once per test run.
func buildBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		root, err := filepath.Abs("../..")
		if err != nil {
			binErr = err
			return
		}
		dir, err := os.MkdirTemp("", "hangar-webhook-test")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "hangar")
		cmd := exec.Command("go", "build", "-o", binPath, "./services/hangar")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// startProc runs `hangar webhook` and waits until it answers /healthz.
func startProc(t *testing.T, bin string, env []string, logs, addr string) *exec.Cmd {
	t.Helper()
	out, err := os.OpenFile(logs, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "webhook")
	cmd.Env, cmd.Stdout, cmd.Stderr = env, out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		out.Close()
	})
	waitFor(t, "the service to answer /healthz", func() bool {
		res, err := http.Get("http://" + addr + "/healthz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	})
	return cmd
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// freshSchema creates a PostgreSQL schema for a subprocess, as
// sqldb.TestDB does for a test, and returns a DSN whose search_path is it.
func freshSchema(t *testing.T) string {
	t.Helper()
	return sqldb.TestPostgresDSN(t)
}
