package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hangar-ci/hangar/services/core/coretest"
	"github.com/hangar-ci/hangar/shared/sqldb"
)

// haCluster is three `hangar all` processes on one PostgreSQL schema
// behind HAProxy, as a deployment with replicas: 3 would run them.
type haCluster struct {
	t        *testing.T
	bin      string
	env      []string
	addrs    []string // each replica's own address
	cmds     []*exec.Cmd
	logs     []*syncLog
	Balancer string // HAProxy's host:port
	GitHub   *coretest.SCM
	Count    string // the file every step appends a line to
}

type syncLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// haProxyBinary finds Debian's haproxy (scripts/test-deps installs it).
func haProxyBinary(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"haproxy", "/usr/sbin/haproxy"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	t.Fatal("haproxy not found: scripts/test-deps installs the Debian package")
	return ""
}

// startHA builds the hangar binary, starts three replicas and HAProxy,
// and activates Codertocat/ha whose pipeline has three parallel stages
// that each append "<build> <stage>" to c.Count.
func startHA(t *testing.T) *haCluster {
	t.Helper()
	proxyBin := haProxyBinary(t)
	c := &haCluster{t: t, bin: buildBinary(t), GitHub: coretest.NewGitHub(t)}
	repoDir := t.TempDir()
	if err := os.CopyFS(repoDir, os.DirFS("testdata/core-repo")); err != nil {
		t.Fatal(err)
	}
	c.Count = filepath.Join(t.TempDir(), "executions")
	var cfg strings.Builder
	for i, name := range []string{"a", "b", "c"} {
		if i > 0 {
			cfg.WriteString("---\n")
		}
		fmt.Fprintf(&cfg, `kind: pipeline
type: exec
name: %s
clone:
  disable: true
steps:
- name: run
  commands:
  - echo "$DRONE_BUILD_NUMBER $DRONE_STAGE_NAME" >> %s
  - echo first line of $DRONE_STAGE_NAME
  - sleep 1
  - echo last line of $DRONE_STAGE_NAME
`, name, c.Count)
	}
	if err := os.MkdirAll(filepath.Join(repoDir, "Codertocat", "ha"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repoDir, "Codertocat", "ha", "default.yaml"), []byte(cfg.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	// Codertocat/halat's one stage is what the latency probes take.
	probe := "kind: pipeline\ntype: exec\nname: probe\nclone:\n  disable: true\nsteps:\n- name: run\n  commands: [echo probe]\n"
	if err := os.MkdirAll(filepath.Join(repoDir, "Codertocat", "halat"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repoDir, "Codertocat", "halat", "default.yaml"), []byte(probe), 0o644); err != nil {
		t.Fatal(err)
	}
	dsn := sqldb.TestPostgresDSN(t)
	c.env = append(os.Environ(),
		"DRONE_SECRET="+coreSecret, "HANGAR_REPO_DIR="+repoDir, "HANGAR_API_TOKEN="+coreToken,
		"HANGAR_GITHUB_URL="+c.GitHub.APIURL, "HANGAR_GITHUB_TOKEN=gh-token",
		"DRONE_SERVER_HOST=ci.example.com", "DRONE_SERVER_PROTO=https",
		"DRONE_DATABASE_DRIVER=postgres", "DRONE_DATABASE_DATASOURCE="+dsn,
		"DRONE_RPC_SECRET="+rpcSecret, "HANGAR_RUNNER_DEADLINE=20s",
	)
	for range 3 {
		c.addrs = append(c.addrs, freeAddr(t))
		c.cmds = append(c.cmds, nil)
		c.logs = append(c.logs, &syncLog{})
	}
	// Started together on the empty schema: they migrate once between them.
	for i := range 3 {
		c.start(i)
	}
	t.Cleanup(func() {
		for i := range c.cmds {
			c.stop(i)
		}
		if t.Failed() {
			for i, l := range c.logs {
				t.Logf("replica %d log (tail):\n%s", i, tail(l.String(), 3000))
			}
		}
	})

	for i := range 3 {
		c.waitReady(i, 60*time.Second)
	}
	c.checkMigratedOnce(dsn)
	c.Balancer = freeAddr(t)
	var servers strings.Builder
	for i, a := range c.addrs {
		fmt.Fprintf(&servers, "  server r%d %s check\n", i, a)
	}
	conf := fmt.Sprintf(`global
  maxconn 2000
defaults
  mode http
  timeout connect 2s
  timeout client 120s
  timeout server 120s
  retries 3
  option redispatch
frontend fe
  bind %s
  default_backend replicas
backend replicas
  balance roundrobin
  option httpchk GET /readyz
  default-server inter 200ms fall 2 rise 2
%s`, c.Balancer, servers.String())
	confFile := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(confFile, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	proxyLog := &syncLog{}
	proxy := exec.Command(proxyBin, "-db", "-f", confFile)
	proxy.Stdout, proxy.Stderr = proxyLog, proxyLog
	if err := proxy.Start(); err != nil {
		t.Fatalf("starting haproxy: %v", err)
	}
	t.Cleanup(func() {
		proxy.Process.Kill()
		proxy.Wait()
		if t.Failed() {
			t.Logf("haproxy log (tail):\n%s", tail(proxyLog.String(), 2000))
		}
	})
	waitHealthy(t, "http://"+c.Balancer)
	c.replica(0).activate("github", "Codertocat/ha", nil)
	return c
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// start runs replica i as a process on its fixed address.
func (c *haCluster) start(i int) {
	c.t.Helper()
	cmd := exec.Command(c.bin, "all")
	cmd.Env = append(append([]string(nil), c.env...), "DRONE_BIND="+c.addrs[i], "HANGAR_DATA_DIR="+c.t.TempDir())
	cmd.Stdout, cmd.Stderr = c.logs[i], c.logs[i]
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		c.t.Fatalf("starting replica %d: %v", i, err)
	}
	c.cmds[i] = cmd
}

// kill ends replica i with SIGKILL: no drain, no goodbye.
func (c *haCluster) kill(i int) {
	c.cmds[i].Process.Signal(syscall.SIGKILL)
	c.cmds[i].Wait()
	c.cmds[i] = nil
}

// stop ends replica i with SIGTERM (it drains), then SIGKILL.
func (c *haCluster) stop(i int) {
	cmd := c.cmds[i]
	if cmd == nil {
		return
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
		<-done
	}
	c.cmds[i] = nil
}

func (c *haCluster) waitReady(i int, d time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if res, err := http.Get("http://" + c.addrs[i] + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.t.Fatalf("replica %d not ready after %v", i, d)
}

// replica addresses replica i directly, with the end-to-end helpers.
func (c *haCluster) replica(i int) *coreHangar {
	return &coreHangar{t: c.t, URL: "http://" + c.addrs[i], GitHub: c.GitHub}
}

// executions reads the runners' record: how often each "build stage" ran.
func (c *haCluster) executions() map[string]int {
	c.t.Helper()
	out := map[string]int{}
	f, err := os.Open(c.Count)
	if os.IsNotExist(err) {
		return out
	}
	if err != nil {
		c.t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		out[sc.Text()]++
	}
	return out
}

// checkMigratedOnce checks the schema the replicas migrated together holds
// each core migration exactly once, and that every replica is still up.
func (c *haCluster) checkMigratedOnce(dsn string) {
	c.t.Helper()
	files, err := filepath.Glob("../core/store/migrations/*.sql")
	if err != nil || len(files) == 0 {
		c.t.Fatalf("core migrations: %v (%d files)", err, len(files))
	}
	db, err := sqldb.Open(context.Background(), "postgres", dsn)
	if err != nil {
		c.t.Fatal(err)
	}
	defer db.Close()
	var rows, names int
	if err := db.QueryRow("SELECT COUNT(*), COUNT(DISTINCT name) FROM core_migrations").Scan(&rows, &names); err != nil {
		c.t.Fatal(err)
	}
	if rows != len(files) || names != len(files) {
		c.t.Errorf("core_migrations: %d rows, %d names; want %d each", rows, names, len(files))
	}
	for i, cmd := range c.cmds {
		if cmd.ProcessState != nil {
			c.t.Errorf("replica %d exited: %v", i, cmd.ProcessState)
		}
	}
}
