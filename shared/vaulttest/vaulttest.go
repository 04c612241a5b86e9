// Package vaulttest starts a real Vault server in dev mode (in memory) for
// tests: the binary is HashiCorp's own, built from the Go module proxy by
// scripts/tools into bin/vault (built here on first use when missing, about
// five minutes cold), with the Kubernetes auth plugin in bin/vault-plugins.
package vaulttest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"
)

// RootToken is the dev server's root token.
const RootToken = "root"

// Server is a running `vault server -dev`.
type Server struct {
	// Addr is the base URL, http://127.0.0.1:port.
	Addr string
	// Client is a root client.
	Client *api.Client

	t         testing.TB
	bin       string
	pluginDir string
	port      int
	mu        sync.Mutex
	cmd       *exec.Cmd
	done      chan struct{}
	out       *syncBuffer
}

// Start builds Vault if needed, starts a dev server on free ports and stops
// it when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	root := repoRoot(t)
	s := &Server{
		t:         t,
		bin:       Binary(t),
		pluginDir: filepath.Join(root, "bin", "vault-plugins"),
		port:      freePortPair(t),
		out:       &syncBuffer{},
	}
	s.Addr = "http://127.0.0.1:" + strconv.Itoa(s.port)
	cfg := api.DefaultConfig()
	cfg.Address = s.Addr
	cfg.MaxRetries = 0
	c, err := api.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.SetToken(RootToken)
	s.Client = c
	s.start()
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("vault output:\n%s", s.out.String())
		}
	})
	return s
}

func (s *Server) start() {
	s.t.Helper()
	cmd := exec.Command(s.bin, "server", "-dev",
		"-dev-root-token-id="+RootToken,
		"-dev-listen-address=127.0.0.1:"+strconv.Itoa(s.port),
		"-dev-no-store-token",
		"-dev-plugin-dir="+s.pluginDir,
	)
	// A clean environment: no VAULT_* of the caller, no ~/.vault-token.
	cmd.Env = []string{"HOME=" + s.t.TempDir(), "PATH=" + os.Getenv("PATH")}
	cmd.Stdout, cmd.Stderr = s.out, s.out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start vault: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()
	if err := waitHealthy(s.Addr, done, 60*time.Second); err != nil {
		s.t.Fatalf("vault did not become healthy: %v\n%s", err, s.out.String())
	}
}

// Stop stops the server (SIGINT, then SIGKILL after 10 s); it is safe to
// call twice.
func (s *Server) Stop() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Signal(os.Interrupt)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-done
	}
}

// Restart stops the server and starts a new one on the same address. Dev
// mode keeps everything in memory, so the new server is empty except for
// the root token: set up mounts and secrets again.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.start()
}

func waitHealthy(addr string, done <-chan struct{}, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return fmt.Errorf("vault exited")
		default:
		}
		resp, err := http.Get(addr + "/v1/sys/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	return last
}

// freePortPair returns a port p with p and p+1 free: dev mode also listens
// on p+1 for cluster traffic. Ports are picked from the kernel's ephemeral
// choice, which spreads parallel servers apart.
func freePortPair(t testing.TB) int {
	t.Helper()
	for range 50 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p := ln.Addr().(*net.TCPAddr).Port
		ln2, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p+1))
		ln.Close()
		if err == nil {
			ln2.Close()
			return p
		}
	}
	t.Fatal("no free port pair")
	return 0
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Ctx is a context for setup calls.
func Ctx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// trimmed is a helper for error output.
func trimmed(b []byte) string { return strings.TrimSpace(string(b)) }
