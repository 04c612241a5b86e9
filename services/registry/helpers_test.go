package registry

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
	droneregistry "github.com/drone/drone-go/plugin/registry"
	dronesecret "github.com/drone/drone-go/plugin/secret"

	"github.com/hangar-ci/hangar/shared/servicetest"
	"github.com/hangar-ci/hangar/shared/tree"
)

const testSecret = "hangar-registry-test-0123456789a"

// allLogs collects every test service's log output; TestMain searches it
// for every password registered with value().
var (
	allLogs  servicetest.Logs
	valuesMu sync.Mutex
	values   []string
	// started counts harnesses, so a run without any (-run '^$') does
	// not demand log lines.
	started atomic.Int32
)

func value(v string) string {
	valuesMu.Lock()
	defer valuesMu.Unlock()
	values = append(values, v)
	return v
}

func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		logs := allLogs.String()
		if started.Load() > 0 && !strings.Contains(logs, `"msg":`) {
			fmt.Fprintln(os.Stderr, "log capture: got no log lines, want the output of every test")
			code = 1
		}
		valuesMu.Lock()
		for _, v := range values {
			if strings.Contains(logs, v) {
				fmt.Fprintf(os.Stderr, "log capture: a password (%d bytes, registered by a test) appears in the logs\n", len(v))
				code = 1
			}
		}
		valuesMu.Unlock()
	}
	os.Exit(code)
}

type harness struct {
	URL      string
	Registry droneregistry.Plugin
	Secret   dronesecret.Plugin
	repo     *tree.Dir
	dir      string
}

func start(t testing.TB, opts Options, files map[string]string) *harness {
	t.Helper()
	started.Add(1)
	h := &harness{dir: t.TempDir()}
	servicetest.WriteFiles(t, h.dir, files)
	env := servicetest.Env(nil, &allLogs)
	repo, err := tree.NewDir(h.dir, env.Logger)
	if err != nil {
		t.Fatal(err)
	}
	h.repo, env.Repo = repo, repo
	if opts.Signature.Secret == "" {
		opts.Signature.Secret = testSecret
	}
	svc, err := New(opts, env)
	if err != nil {
		t.Fatal(err)
	}
	h.URL = servicetest.Start(t, svc, env)
	h.Registry = droneregistry.Client(h.URL, opts.Signature.Secret, false)
	h.Secret = dronesecret.Client(h.URL, opts.Signature.Secret, false)
	return h
}

func (h *harness) write(t testing.TB, name, content string) {
	t.Helper()
	servicetest.WriteFiles(t, h.dir, map[string]string{name: content})
	if h.repo != nil {
		if err := h.repo.Reload(); err != nil {
			t.Fatal(err)
		}
	}
}

type build struct{ repo, event, target, source, fork string }

func (b build) objects() (drone.Repo, drone.Build) {
	ns, n, _ := strings.Cut(b.repo, "/")
	fork := b.fork
	if fork == "" {
		fork = b.repo
	}
	return drone.Repo{Namespace: ns, Name: n, Slug: b.repo},
		drone.Build{Event: b.event, Target: b.target, Source: b.source, Fork: fork}
}

// list asks for b's registries and returns their addresses.
func (h *harness) list(t *testing.T, b build) ([]*drone.Registry, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	repo, bd := b.objects()
	return h.Registry.List(ctx, &droneregistry.Request{Repo: repo, Build: bd})
}

func status(err error) int {
	if err == nil {
		return http.StatusOK
	}
	if e, ok := err.(*drone.Error); ok {
		return e.Code
	}
	return -1
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
