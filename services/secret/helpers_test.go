package secret

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drone/drone-go/drone"
	dronesecret "github.com/drone/drone-go/plugin/secret"

	"github.com/hangar-ci/hangar/shared/servicetest"
	"github.com/hangar-ci/hangar/shared/tree"
	"github.com/hangar-ci/hangar/shared/vaultkv"
)

// testSecret is the shared secret of every test service (32 bytes, so
// aesgcm answers work).
const testSecret = "hangar-secret-test-0123456789abc"

// allLogs collects the log output of every service the tests start; after
// the run, TestMain searches it for every value registered with value().
var (
	allLogs  servicetest.Logs
	valuesMu sync.Mutex
	values   []string
	// started counts harnesses, so a run without any (-run '^$') does
	// not demand log lines.
	started atomic.Int32
)

// value registers v as a secret value that must never appear in a log.
func value(v string) string {
	valuesMu.Lock()
	defer valuesMu.Unlock()
	values = append(values, v)
	return v
}

func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		code = checkLogs()
	}
	os.Exit(code)
}

// checkLogs fails the run when any registered value is in any log line,
// and when the logs are suspiciously empty (a broken capture would pass).
func checkLogs() int {
	logs := allLogs.String()
	if started.Load() > 0 && !strings.Contains(logs, `"msg":`) {
		fmt.Fprintln(os.Stderr, "log capture: got no log lines, want the output of every test")
		return 1
	}
	valuesMu.Lock()
	defer valuesMu.Unlock()
	for _, v := range values {
		if strings.Contains(logs, v) {
			fmt.Fprintf(os.Stderr, "log capture: a secret value (%d bytes, registered by a test) appears in the logs\n", len(v))
			return 1
		}
	}
	return 0
}

// harness is the real service on real HTTP on 127.0.0.1, behind the same
// server.Handler as in production (access log, metrics, /readyz).
type harness struct {
	URL    string
	Client dronesecret.Plugin
	Repo   *tree.Dir
	dir    string
	logs   *servicetest.Logs // this harness's own lines (also in allLogs)
}

// start runs the service with opts (Secret defaults to testSecret) over a
// config repository holding files. Run (Vault login and renewal) must not
// fail while the test runs: Vault errors never end the service.
func start(t testing.TB, opts Options, files map[string]string) *harness {
	t.Helper()
	started.Add(1)
	h := &harness{dir: t.TempDir(), logs: &servicetest.Logs{}}
	servicetest.WriteFiles(t, h.dir, files)
	env := servicetest.Env(nil, io.MultiWriter(&allLogs, h.logs))
	repo, err := tree.NewDir(h.dir, env.Logger)
	if err != nil {
		t.Fatal(err)
	}
	h.Repo, env.Repo = repo, repo
	if opts.Signature.Secret == "" {
		opts.Signature.Secret = testSecret
	}
	svc, err := New(opts, env)
	if err != nil {
		t.Fatal(err)
	}
	h.URL = servicetest.Start(t, svc, env)
	h.Client = dronesecret.Client(h.URL, opts.Signature.Secret, false)
	return h
}

// write puts a file into the config repository and reloads it.
func (h *harness) write(t testing.TB, name, content string) {
	t.Helper()
	servicetest.WriteFiles(t, h.dir, map[string]string{name: content})
	if h.Repo != nil {
		if err := h.Repo.Reload(); err != nil {
			t.Fatal(err)
		}
	}
}

// find asks for path/name for build b through drone-go's client.
func (h *harness) find(t testing.TB, path, name string, b build) (*drone.Secret, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return h.Client.Find(ctx, b.request(path, name))
}

// status is the HTTP status of a drone-go client error (200 for nil).
func status(err error) int {
	if err == nil {
		return http.StatusOK
	}
	if e, ok := err.(*drone.Error); ok {
		return e.Code
	}
	return -1
}

// build describes the build asking for a secret.
type build struct {
	repo, event, target, source, fork string
}

var (
	pushMain = build{repo: "octo/api", event: "push", target: "main"}
	prMain   = build{repo: "octo/api", event: "pull_request", target: "main", source: "main"}
)

func (b build) request(path, name string) *dronesecret.Request {
	ns, n, _ := strings.Cut(b.repo, "/")
	fork := b.fork
	if fork == "" {
		fork = b.repo
	}
	return &dronesecret.Request{
		Path: path, Name: name,
		Repo:  drone.Repo{Namespace: ns, Name: n, Slug: b.repo},
		Build: drone.Build{Event: b.event, Target: b.target, Source: b.source, Fork: fork, Ref: "refs/heads/" + b.target},
	}
}

// vaultOptions are token-auth options for a test Vault.
func vaultOptions(addr, token string) vaultkv.Options {
	return vaultkv.Options{Addr: addr, AuthType: vaultkv.AuthToken, Token: token, Timeout: 5 * time.Second, MaxRetries: 0}
}
