package deploy

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const siteFile = "nginx/hangar.conf"

// nginxConf wraps the site in the smallest nginx.conf that runs it from a
// temporary prefix; edit rewrites the site first (listen address, upstream).
func nginxConf(t *testing.T, edit func(string) string) (prefix, conf string) {
	t.Helper()
	site, err := os.ReadFile(siteFile)
	if err != nil {
		t.Fatal(err)
	}
	// Worker processes may run as nobody: the prefix must be reachable by
	// them (t.TempDir's parent is not), for request bodies spooled to disk.
	prefix, err = os.MkdirTemp("", "hangar-nginx-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(prefix) })
	if err := os.Chmod(prefix, 0o755); err != nil {
		t.Fatal(err)
	}
	s := string(site)
	if edit != nil {
		s = edit(s)
	}
	if err := os.WriteFile(filepath.Join(prefix, "hangar.conf"), []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	conf = filepath.Join(prefix, "nginx.conf")
	main := fmt.Sprintf(`daemon off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 64; }
http {
    access_log off;
    # What an operator's http block may well have: compressing streams would
    # hold their bytes back unless the site turns buffering and gzip off.
    gzip on;
    gzip_proxied any;
    gzip_min_length 1;
    gzip_types text/event-stream application/json text/plain;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    include %[1]s/hangar.conf;
}
`, prefix)
	if err := os.WriteFile(conf, []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	return prefix, conf
}

// TestNginxSiteConfigTests runs `nginx -t` (Debian's nginx) on the site as
// shipped, inside an http block.
func TestNginxSiteConfigTests(t *testing.T) {
	t.Parallel()
	nginx := debianTool(t, "nginx")
	prefix, conf := nginxConf(t, nil)
	out, err := run(t, time.Minute, nil, nginx, "-t", "-p", prefix, "-e", filepath.Join(prefix, "error.log"), "-c", conf)
	if err != nil || !strings.Contains(out, "test is successful") {
		t.Fatalf("nginx -t: %v\n%s", err, out)
	}
}

// startNginx runs the site on a free loopback port in front of upstream
// (host:port) and returns its base URL.
func startNginx(t *testing.T, upstream string) string {
	t.Helper()
	nginx := debianTool(t, "nginx")
	port := freePort(t)
	prefix, conf := nginxConf(t, func(s string) string {
		s = strings.Replace(s, "server 127.0.0.1:3000;", "server "+upstream+";", 1)
		s = strings.Replace(s, "    listen 80;\n", fmt.Sprintf("    listen 127.0.0.1:%d;\n", port), 1)
		return strings.Replace(s, "    listen [::]:80;\n", "", 1)
	})
	p := startProc(t, exec.Command(nginx, "-p", prefix, "-e", filepath.Join(prefix, "error.log"), "-c", conf))
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	waitListening(t, addr, 20*time.Second, func() string {
		log, _ := os.ReadFile(filepath.Join(prefix, "error.log"))
		return p.output() + string(log)
	})
	return "http://" + addr
}

// TestNginxStreamsLiveLogsUnbuffered streams server-sent events through the
// site's /api/stream location (where Drone's live logs are) from an upstream
// that writes each event only after the client has received the previous
// one: a buffering proxy would hold the first event and the stream would
// stall, so every event arriving proves nothing is buffered.
func TestNginxStreamsLiveLogsUnbuffered(t *testing.T) {
	t.Parallel()
	const events = 5
	ack := make(chan int)
	stalled := make(chan int, 1)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/stream/octo/hello/1/1/1" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-cache")
		for i := 1; i <= events; i++ {
			fmt.Fprintf(w, "data: {\"pos\":%d,\"out\":\"line %d\\n\"}\n\n", i-1, i)
			w.(http.Flusher).Flush()
			select {
			case got := <-ack:
				if got != i {
					stalled <- i
					return
				}
			case <-time.After(30 * time.Second):
				stalled <- i // the client never saw event i: held in a buffer
				return
			case <-r.Context().Done():
				return
			}
		}
	}))
	t.Cleanup(upstream.Close)
	base := startNginx(t, strings.TrimPrefix(upstream.URL, "http://"))

	client := &http.Client{Timeout: 2 * time.Minute}
	res, err := client.Get(base + "/api/stream/octo/hello/1/1/1")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET through nginx: %s", res.Status)
	}
	lines := bufio.NewScanner(res.Body)
	for i := 1; i <= events; i++ {
		got := ""
		for lines.Scan() {
			if strings.HasPrefix(lines.Text(), "data: ") {
				got = lines.Text()
				break
			}
		}
		want := fmt.Sprintf(`data: {"pos":%d,"out":"line %d\n"}`, i-1, i)
		if got != want {
			select {
			case n := <-stalled:
				t.Fatalf("event %d never reached the client before the upstream gave up: nginx buffered it", n)
			default:
			}
			t.Fatalf("event %d: got %q, want %q (scan error %v)", i, got, want, lines.Err())
		}
		select {
		case ack <- i:
		case n := <-stalled:
			t.Fatalf("event %d reached the client only after the upstream gave up waiting: nginx buffered it", n)
		}
	}
}

// TestNginxProxiesHangar puts the site in front of a real `hangar all` and
// checks that the health endpoint, an extension and the SCM hook path answer
// through it exactly as they do directly, hook bodies above nginx's 1 MB
// default included.
func TestNginxProxiesHangar(t *testing.T) {
	t.Parallel()
	addr := startHangar(t)
	base := startNginx(t, addr)

	big := bytes.Repeat([]byte(" "), 2<<20)
	big = append(big, []byte(`{"ref":"refs/heads/main"}`)...)
	cases := []struct {
		name, method, path string
		header             http.Header
		body               []byte
		want               int
	}{
		{"health", http.MethodGet, "/healthz", nil, nil, http.StatusOK},
		{"unsigned extension call", http.MethodPost, "/config", nil, []byte(`{}`), 0},
		{"unsigned hook above 1MB", http.MethodPost, "/hook", http.Header{"X-Github-Event": {"push"}}, big, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			direct, directBody := send(t, c.method, "http://"+addr+c.path, c.header, c.body)
			proxied, proxiedBody := send(t, c.method, base+c.path, c.header, c.body)
			if c.want != 0 && direct != c.want {
				t.Fatalf("direct %s %s: got %d, want %d", c.method, c.path, direct, c.want)
			}
			if direct == http.StatusRequestEntityTooLarge {
				t.Fatalf("direct %s %s answered 413: the case proves nothing", c.method, c.path)
			}
			if proxied != direct || proxiedBody != directBody {
				t.Fatalf("through nginx: got %d %q, want %d %q (as direct)", proxied, proxiedBody, direct, directBody)
			}
		})
	}
}

func send(t *testing.T, method, url string, header http.Header, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, strings.TrimSpace(string(b))
}

// startHangar runs the real `hangar all` of this checkout on a free
// loopback port with SQLite in a temporary directory.
func startHangar(t *testing.T) string {
	t.Helper()
	bin := hangar(t)
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	cmd := exec.Command(bin, "all")
	cmd.Env = append(os.Environ(),
		"DRONE_BIND="+addr,
		"DRONE_SECRET=deploy-test-secret-0123456789abcdef",
		"HANGAR_DATA_DIR="+t.TempDir(),
		"HANGAR_REPO_DIR="+filepath.Join(repoRoot(t), "config-repo"),
	)
	p := startProc(t, cmd)
	waitListening(t, addr, 30*time.Second, p.output)
	return addr
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func waitListening(t testing.TB, addr string, within time.Duration, logs func() string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("nothing listens on %s after %s:\n%s", addr, within, logs())
}
