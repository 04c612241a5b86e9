// Package runnertest runs the real drone-runner-exec (Drone's exec runner,
// built unchanged from the Go module proxy into bin/ by scripts/tools)
// against a core server in tests: the same runner-go client and call
// sequence as the Docker and Kubernetes runners.
package runnertest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hangar-ci/hangar/shared/toolstest"
)

// Config describes one runner.
type Config struct {
	// Host is the core server's host:port (DRONE_RPC_HOST).
	Host   string
	Secret string
	Name   string
	// Capacity is how many stages it runs at once (default 2).
	Capacity int
	// Labels are DRONE_RUNNER_LABELS, k:v pairs.
	Labels map[string]string
	// Env adds to the runner's environment.
	Env map[string]string
}

// Runner is a running drone-runner-exec process.
type Runner struct {
	cmd  *exec.Cmd
	log  *syncBuffer
	done chan struct{}
}

// Start runs a runner until the test ends.
func Start(t testing.TB, c Config) *Runner {
	t.Helper()
	if c.Capacity == 0 {
		c.Capacity = 2
	}
	var labels []string
	for k, v := range c.Labels {
		labels = append(labels, k+":"+v)
	}
	root := t.TempDir()
	cmd := exec.Command(Binary(t), "daemon")
	cmd.Env = append(os.Environ(),
		"DRONE_RPC_PROTO=http", "DRONE_RPC_HOST="+c.Host, "DRONE_RPC_SECRET="+c.Secret,
		"DRONE_RUNNER_NAME="+c.Name, fmt.Sprintf("DRONE_RUNNER_CAPACITY=%d", c.Capacity),
		"DRONE_RUNNER_ROOT="+root,
		"DRONE_HTTP_BIND=127.0.0.1:0", "DRONE_DEBUG=true",
	)
	if len(labels) > 0 {
		cmd.Env = append(cmd.Env, "DRONE_RUNNER_LABELS="+strings.Join(labels, ","))
	}
	for k, v := range c.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	// Its own process group: a kill takes the step's shell with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	r := &Runner{cmd: cmd, log: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = r.log, r.log
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting drone-runner-exec: %v", err)
	}
	go func() {
		cmd.Wait()
		close(r.done)
	}()
	t.Cleanup(func() {
		r.Stop()
		if t.Failed() {
			t.Logf("runner %s log:\n%s", c.Name, r.Log())
		}
	})
	return r
}

// Stop ends the runner (SIGTERM, then SIGKILL) and its steps.
func (r *Runner) Stop() {
	syscall.Kill(-r.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-r.done:
	case <-time.After(5 * time.Second):
		r.Kill()
	}
}

// Kill is kill -9 of the runner and every step it runs.
func (r *Runner) Kill() {
	syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
	<-r.done
}

// Log returns what the runner printed so far.
func (r *Runner) Log() string { return r.log.String() }

// Binary returns bin/drone-runner-exec, running scripts/tools first when
// it is missing.
func Binary(t testing.TB) string {
	t.Helper()
	return toolstest.Bin(t, "drone-runner-exec")
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
