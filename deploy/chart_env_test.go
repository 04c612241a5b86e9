package deploy

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hangar-ci/hangar/shared/sqldb"
)

// TestChartEnvRunsHangar runs the real hangar binary with exactly the
// command and environment the chart gives each Hangar container (kwok runs
// no containers, so this is where the chart's settings meet the code): the
// Secrets' keys resolved to test values, the database DSN to a fresh schema
// of the test PostgreSQL, the pod's paths to temporary ones. Every process
// must come up healthy and ready; in server mode the core must answer
// Drone's hook path at the root.
func TestChartEnvRunsHangar(t *testing.T) {
	t.Parallel()
	for _, values := range []string{"extensions.yaml", "server-ha.yaml"} {
		t.Run(values, func(t *testing.T) {
			t.Parallel()
			secrets := map[string]string{
				"hangar/DRONE_SECRET":          randomHex(32),
				"hangar/DRONE_RPC_SECRET":      randomHex(32),
				"hangar/DRONE_DATABASE_SECRET": randomHex(16),
				"hangar/DRONE_COOKIE_SECRET":   randomHex(16),
				"hangar-db/dsn":                sqldb.TestPostgresDSN(t),
			}
			started := 0
			for _, o := range render(t, values) {
				if o.kind() != "Deployment" || str(o, "spec", "template", "spec", "containers", 0, "name") != "hangar" {
					continue
				}
				started++
				c := at(o, "spec", "template", "spec", "containers", 0)
				args := toStrings(list(c, "args"))
				addr := runChartContainer(t, o.name(), args, chartEnv(t, c, secrets))
				for _, path := range []string{"/healthz", "/readyz"} {
					if code, body := send(t, http.MethodGet, "http://"+addr+path, nil, nil); code != http.StatusOK {
						t.Errorf("%s: GET %s: %d %s", o.name(), path, code, body)
					}
				}
				if args[0] == "all" && values == "server-ha.yaml" {
					code, body := send(t, http.MethodPost, "http://"+addr+"/hook", http.Header{"X-Github-Event": {"push"}}, []byte(`{}`))
					if code != http.StatusUnauthorized {
						t.Errorf("unsigned POST /hook to the core: got %d %s, want 401", code, body)
					}
				}
			}
			if started == 0 {
				t.Fatal("no Hangar Deployment rendered")
			}
		})
	}
}

// chartEnv turns a rendered container's env into a process environment.
func chartEnv(t *testing.T, c any, secrets map[string]string) []string {
	t.Helper()
	var env []string
	for _, e := range list(c, "env") {
		name, value := str(e, "name"), str(e, "value")
		if ref := at(e, "valueFrom", "secretKeyRef"); ref != nil {
			v, ok := secrets[str(ref, "name")+"/"+str(ref, "key")]
			if !ok {
				if opt, _ := at(ref, "optional").(bool); opt {
					continue
				}
				t.Fatalf("%s refers to %s/%s, which the test's Secrets lack", name, str(ref, "name"), str(ref, "key"))
			}
			value = v
		} else if at(e, "valueFrom") != nil {
			t.Fatalf("%s: valueFrom the test cannot resolve", name)
		}
		env = append(env, name+"="+value)
	}
	return env
}

// runChartContainer starts hangar with the container's arguments and
// environment, the pod's paths and port mapped to the test's, and returns
// its address once it is ready.
func runChartContainer(t *testing.T, name string, args, env []string) string {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	configRepo := filepath.Join(repoRoot(t), "config-repo")
	paths := strings.NewReplacer("/data", t.TempDir(), "/repo/current", configRepo, "/config-repo", configRepo)
	// The image's own ENV first (deploy/Dockerfile), the container's after.
	env = append(imageEnv(t), env...)
	for i, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "DRONE_BIND":
			v = addr
		case "HANGAR_DATA_DIR", "HANGAR_REPO_DIR":
			v = paths.Replace(v)
		}
		env[i] = k + "=" + v
	}
	cmd := exec.Command(hangar(t), args...)
	cmd.Env = append(env, "PATH="+os.Getenv("PATH"))
	p := startProc(t, cmd)
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return addr
			}
		}
		if exited, werr := p.done(); exited {
			t.Fatalf("%s (hangar %v) exited: %v\n%s", name, args, werr, p.output())
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s (hangar %v) not ready on %s after 60s (%v):\n%s", name, args, addr, err, p.output())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// imageEnv is the environment deploy/Dockerfile's ENV lines give the image.
func imageEnv(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "ENV "); ok {
			for _, kv := range strings.Fields(rest) {
				if !strings.Contains(kv, "=") {
					t.Fatalf("Dockerfile: ENV %q is not KEY=value", kv)
				}
				env = append(env, kv)
			}
		}
	}
	if len(env) == 0 {
		t.Fatal("Dockerfile sets no ENV")
	}
	return env
}
