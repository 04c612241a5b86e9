package deploy

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
)

// composeEnv is what an operator exports before `docker compose up`.
var composeEnv = map[string]string{
	"HANGAR_SECRET":     "compose-test-shared-secret-0123456789",
	"HANGAR_RPC_SECRET": "compose-test-rpc-secret-0123456789abc",
	// The core's sealing key (32+ bytes) and cookie key (16+ bytes).
	"HANGAR_DATABASE_SECRET": "compose-test-database-secret-0123456789",
	"HANGAR_COOKIE_SECRET":   "compose-test-cookie-secret-0123",
}

// loadCompose loads a compose file with compose-go, the loader Docker
// Compose itself uses: interpolation, extends, schema and consistency checks.
func loadCompose(t *testing.T, file string, env map[string]string) (*types.Project, error) {
	t.Helper()
	abs, err := filepath.Abs(file)
	if err != nil {
		t.Fatal(err)
	}
	// The loader writes into the environment it is given: a copy each time.
	own := types.Mapping{}
	for k, v := range env {
		own[k] = v
	}
	return loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  filepath.Dir(abs),
		ConfigFiles: []types.ConfigFile{{Filename: abs}},
		Environment: own,
	}, func(o *loader.Options) {
		o.SetProjectName("hangar-test", true)
		o.ResolvePaths = true
	})
}

func env(s types.ServiceConfig, name string) string {
	if v := s.Environment[name]; v != nil {
		return *v
	}
	return ""
}

// TestComposeFilesLoad loads every compose file and checks the wiring
// between its services: the runner's RPC host and secret match the server,
// the extension endpoints name a service of the project, and the secrets
// are required from the environment (loading without them fails).
func TestComposeFilesLoad(t *testing.T) {
	t.Parallel()
	cases := []struct {
		file, server, runner string
		rpcHost, rpcSecret   string // the server's RPC address and secret setting
	}{
		{"../docker-compose.yml", "drone", "runner", "drone", "DRONE_RPC_SECRET"},
		{"compose/server.yml", "hangar", "runner", "hangar:3000", "DRONE_RPC_SECRET"},
		{"compose/server-sysbox.yml", "hangar", "runner", "hangar:3000", "DRONE_RPC_SECRET"},
	}
	for _, c := range cases {
		t.Run(filepath.Base(c.file), func(t *testing.T) {
			t.Parallel()
			p, err := loadCompose(t, c.file, composeEnv)
			if err != nil {
				t.Fatalf("compose-go: %v", err)
			}
			server, ok := p.Services[c.server]
			if !ok {
				t.Fatalf("no %q service in %v", c.server, p.ServiceNames())
			}
			runner, ok := p.Services[c.runner]
			if !ok {
				t.Fatalf("no %q service in %v", c.runner, p.ServiceNames())
			}
			if got := env(runner, "DRONE_RPC_HOST"); got != c.rpcHost {
				t.Errorf("runner DRONE_RPC_HOST: got %q, want %q", got, c.rpcHost)
			}
			if got, want := env(runner, "DRONE_RPC_SECRET"), env(server, c.rpcSecret); got == "" || got != want {
				t.Errorf("runner DRONE_RPC_SECRET %q differs from the server's %q", got, want)
			}
			// The core's keys come from the operator's environment, never
			// a value written in the file.
			core := p.Services["hangar"]
			for setting, from := range map[string]string{"DRONE_DATABASE_SECRET": "HANGAR_DATABASE_SECRET", "DRONE_COOKIE_SECRET": "HANGAR_COOKIE_SECRET"} {
				if got, want := env(core, setting), composeEnv[from]; got != want {
					t.Errorf("hangar %s: got %q, want $%s (%q)", setting, got, from, want)
				}
				without := maps.Clone(composeEnv)
				delete(without, from)
				if _, err := loadCompose(t, c.file, without); err == nil {
					t.Errorf("loaded without %s: the core's %s must be required", from, setting)
				}
			}
			for name, s := range p.Services {
				for k, v := range s.Environment {
					if v == nil || !strings.HasSuffix(k, "_ENDPOINT") {
						continue
					}
					host := strings.SplitN(strings.TrimPrefix(*v, "http://"), ":", 2)[0]
					if _, ok := p.Services[host]; !ok {
						t.Errorf("%s: %s=%s names no service of the project", name, k, *v)
					}
				}
			}
			if _, err := loadCompose(t, c.file, map[string]string{}); err == nil {
				t.Errorf("loaded without HANGAR_SECRET: the secrets must be required")
			}
		})
	}
}

// TestComposeSysboxRunnerIsolated checks the sysbox variant: the runner is
// a system container (runtime sysbox-runc) with its own Docker's storage in
// a named volume, and nothing in the project is privileged or mounts the
// host's Docker socket.
func TestComposeSysboxRunnerIsolated(t *testing.T) {
	t.Parallel()
	p, err := loadCompose(t, "compose/server-sysbox.yml", composeEnv)
	if err != nil {
		t.Fatalf("compose-go: %v", err)
	}
	runner := p.Services["runner"]
	if runner.Runtime != "sysbox-runc" {
		t.Errorf("runner runtime: got %q, want sysbox-runc", runner.Runtime)
	}
	var cache bool
	for _, v := range runner.Volumes {
		if v.Target == "/var/lib/docker" && v.Type == types.VolumeTypeVolume {
			if _, ok := p.Volumes[v.Source]; ok {
				cache = true
			}
		}
	}
	if !cache {
		t.Errorf("runner has no named volume at /var/lib/docker for its inner Docker's images: %+v", runner.Volumes)
	}
	for name, s := range p.Services {
		if s.Privileged {
			t.Errorf("%s is privileged", name)
		}
		for _, c := range s.CapAdd {
			if c == "SYS_ADMIN" || c == "ALL" {
				t.Errorf("%s adds capability %s", name, c)
			}
		}
		for _, v := range s.Volumes {
			if strings.Contains(v.Source, "docker.sock") || strings.Contains(v.Target, "docker.sock") {
				t.Errorf("%s mounts a Docker socket: %s -> %s", name, v.Source, v.Target)
			}
		}
	}
	// The same checks catch the host-socket runner of server.yml.
	host, err := loadCompose(t, "compose/server.yml", composeEnv)
	if err != nil {
		t.Fatal(err)
	}
	var sock bool
	for _, v := range host.Services["runner"].Volumes {
		sock = sock || v.Source == "/var/run/docker.sock"
	}
	if !sock {
		t.Errorf("server.yml's runner should use the host socket (the check above would miss one)")
	}
}

// TestSysboxRunnerImage checks the system container's image: it runs the
// entrypoint that starts the inner dockerd before the runner, and that
// script parses as POSIX sh.
func TestSysboxRunnerImage(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("compose/sysbox-runner/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"FROM docker:", // the Docker daemon
		"COPY --from=runner /bin/drone-runner-docker ",
		`ENTRYPOINT ["/usr/local/bin/hangar-runner-entrypoint"]`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	entry := "compose/sysbox-runner/entrypoint.sh"
	if fi, err := os.Stat(entry); err != nil || fi.Mode()&0o111 == 0 {
		t.Fatalf("%s must exist and be executable (%v)", entry, err)
	}
	if out, err := run(t, time.Minute, nil, "sh", "-n", entry); err != nil {
		t.Fatalf("sh -n %s: %v\n%s", entry, err, out)
	}
	script, _ := os.ReadFile(entry)
	if i, j := strings.Index(string(script), "dockerd "), strings.Index(string(script), "exec drone-runner-docker"); i < 0 || j < i {
		t.Errorf("%s must start dockerd, then exec the runner", entry)
	}
}
