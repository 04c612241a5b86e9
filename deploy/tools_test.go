package deploy

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hangar-ci/hangar/shared/toolstest"
)

// repoRoot is the Hangar module root, one level above this package.
func repoRoot(t testing.TB) string { return toolstest.RepoRoot(t) }

// tool returns bin/<name>, built by scripts/tools when missing (the
// control plane and Helm take 10-15 minutes cold).
func tool(t testing.TB, name string) string { return toolstest.Bin(t, name) }

// debianTool returns the path of a program scripts/test-deps installs from
// Debian (nginx, systemd-analyze); missing, it fails the test saying so.
func debianTool(t testing.TB, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/bin"} {
		if p := filepath.Join(dir, name); executable(p) {
			return p
		}
	}
	t.Fatalf("%s is not installed: scripts/test-deps installs it from Debian (make test runs it)", name)
	return ""
}

func executable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

var hangarBinary struct {
	once sync.Once
	path string
	err  error
	out  []byte
}

// hangar builds bin/hangar of this checkout once per test binary, into a
// directory TestMain removes.
func hangar(t testing.TB) string {
	t.Helper()
	hangarBinary.once.Do(func() {
		dir, err := os.MkdirTemp("", "hangar-deploy-bin-")
		if err != nil {
			hangarBinary.err = err
			return
		}
		cleanups = append(cleanups, func() { os.RemoveAll(dir) })
		hangarBinary.path = filepath.Join(dir, "hangar")
		cmd := exec.Command("go", "build", "-o", hangarBinary.path, "./services/hangar")
		cmd.Dir = repoRoot(t)
		hangarBinary.out, hangarBinary.err = cmd.CombinedOutput()
	})
	if hangarBinary.err != nil {
		t.Fatalf("go build ./services/hangar: %v\n%s", hangarBinary.err, hangarBinary.out)
	}
	return hangarBinary.path
}

// cleanups run after every test of the package (TestMain).
var cleanups []func()

func TestMain(m *testing.M) {
	code := m.Run()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	os.Exit(code)
}

// run runs a command to completion (bounded by timeout) and returns its
// combined output.
func run(t testing.TB, timeout time.Duration, env []string, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func tail(b []byte, n int) string {
	s := strings.TrimSpace(string(b))
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// proc is a process a test started: its output (safe to read while it
// runs) and whether it has exited.
type proc struct {
	mu     sync.Mutex
	out    bytes.Buffer
	exited chan struct{}
	err    error
}

func (p *proc) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.Write(b)
}

// output is the tail of what the process printed.
func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return tail(p.out.Bytes(), 3000)
}

// done reports whether the process has exited, with its error.
func (p *proc) done() (bool, error) {
	select {
	case <-p.exited:
		return true, p.err
	default:
		return false, nil
	}
}

// startProc starts cmd with its output captured and ends it with SIGTERM
// when the test is over.
func startProc(t testing.TB, cmd *exec.Cmd) *proc {
	t.Helper()
	p := &proc{exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p, p
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", cmd.Path, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		<-p.exited
	})
	return p
}
