package deploy

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

const chartDir = "helm/hangar"

// valuesFiles are the documented values files (deploy/README.md).
var valuesFiles = []string{"extensions.yaml", "server-ha.yaml", "server-vault.yaml"}

// helm runs bin/helm with its state in a temporary directory.
func helm(t *testing.T, args ...string) (string, error) {
	t.Helper()
	home := t.TempDir()
	env := []string{
		"HELM_CACHE_HOME=" + filepath.Join(home, "cache"),
		"HELM_CONFIG_HOME=" + filepath.Join(home, "config"),
		"HELM_DATA_HOME=" + filepath.Join(home, "data"),
	}
	return run(t, 6*time.Minute, env, tool(t, "helm"), args...)
}

// object is one rendered manifest, as generic JSON.
type object map[string]any

func (o object) kind() string { s, _ := o["kind"].(string); return s }

func (o object) name() string { return str(o, "metadata", "name") }

// at walks maps by key and lists by index (an int key).
func at(v any, path ...any) any {
	if o, ok := v.(object); ok {
		v = map[string]any(o)
	}
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func str(v any, path ...any) string { s, _ := at(v, path...).(string); return s }

func list(v any, path ...any) []any { l, _ := at(v, path...).([]any); return l }

// render runs `helm template` with a values file and parses every document.
func render(t *testing.T, values string, extra ...string) []object {
	t.Helper()
	args := append([]string{"template", "hangar", chartDir, "--namespace", "hangar", "-f", filepath.Join(chartDir, "examples", values)}, extra...)
	out, err := helm(t, args...)
	if err != nil {
		t.Fatalf("helm template -f %s: %v\n%s", values, err, out)
	}
	var objs []object
	for _, doc := range strings.Split(out, "\n---") {
		var o object
		if err := yaml.Unmarshal([]byte(doc), &o); err != nil {
			t.Fatalf("helm template -f %s: a document does not parse: %v\n%s", values, err, doc)
		}
		if o != nil {
			objs = append(objs, o)
		}
	}
	return objs
}

// TestChartValuesFilesLintAndRender lints and renders the chart with each
// documented values file and checks what every workload must have: the
// security context, the probes, and secrets only by reference.
func TestChartValuesFilesLintAndRender(t *testing.T) {
	t.Parallel()
	for _, values := range valuesFiles {
		t.Run(values, func(t *testing.T) {
			t.Parallel()
			if out, err := helm(t, "lint", "--strict", chartDir, "-f", filepath.Join(chartDir, "examples", values)); err != nil {
				t.Fatalf("helm lint: %v\n%s", err, out)
			}
			objs := render(t, values)
			workloads := 0
			for _, o := range objs {
				if o.kind() == "Secret" {
					t.Errorf("the chart renders Secret %s: secrets must come by reference", o.name())
				}
				if o.kind() != "Deployment" && o.kind() != "DaemonSet" {
					continue
				}
				workloads++
				checkPodSpec(t, o)
			}
			if workloads == 0 {
				t.Fatal("no workload rendered")
			}
		})
	}
}

func checkPodSpec(t *testing.T, o object) {
	t.Helper()
	pod := at(o, "spec", "template", "spec")
	if got := str(pod, "securityContext", "seccompProfile", "type"); got != "RuntimeDefault" {
		t.Errorf("%s: pod seccomp %q, want RuntimeDefault", o.name(), got)
	}
	runner := str(pod, "containers", 0, "name") == "runner" && o.kind() == "DaemonSet"
	if got, _ := at(pod, "securityContext", "runAsNonRoot").(bool); !got && !runner {
		t.Errorf("%s: runAsNonRoot is not true", o.name())
	}
	for _, c := range list(pod, "containers") {
		name := str(c, "name")
		if got, _ := at(c, "securityContext", "readOnlyRootFilesystem").(bool); !got {
			t.Errorf("%s/%s: root filesystem writable", o.name(), name)
		}
		if got, ok := at(c, "securityContext", "allowPrivilegeEscalation").(bool); !ok || got {
			t.Errorf("%s/%s: allowPrivilegeEscalation not false", o.name(), name)
		}
		if at(c, "resources", "limits", "memory") == nil {
			t.Errorf("%s/%s: no memory limit", o.name(), name)
		}
		if name == "hangar" {
			if got := str(c, "livenessProbe", "httpGet", "path"); got != "/healthz" {
				t.Errorf("%s: liveness probe %q, want /healthz", o.name(), got)
			}
			if got := str(c, "readinessProbe", "httpGet", "path"); got != "/readyz" {
				t.Errorf("%s: readiness probe %q, want /readyz", o.name(), got)
			}
		}
		for _, e := range list(c, "env") {
			n := str(e, "name")
			secretish := false
			for _, suffix := range []string{"SECRET", "TOKEN", "PASSWORD", "DATASOURCE"} {
				secretish = secretish || strings.HasSuffix(n, suffix)
			}
			if _, literal := at(e, "value").(string); secretish && literal {
				t.Errorf("%s/%s: %s has a literal value; secrets only by secretKeyRef", o.name(), name, n)
			}
		}
	}
}

// envOf maps a container's environment: literal values as is, secret
// references as "secret:NAME/KEY".
func envOf(c any) map[string]string {
	m := map[string]string{}
	for _, e := range list(c, "env") {
		if ref := at(e, "valueFrom", "secretKeyRef"); ref != nil {
			m[str(e, "name")] = "secret:" + str(ref, "name") + "/" + str(ref, "key")
			continue
		}
		m[str(e, "name")] = str(e, "value")
	}
	return m
}

// TestChartServerModeEnvironment checks that server mode configures the core
// and the runner under the names the README documents, wired to each other.
func TestChartServerModeEnvironment(t *testing.T) {
	t.Parallel()
	byName := index(render(t, "server-ha.yaml"))
	core, runner := byName["Deployment/hangar"], byName["Deployment/hangar-runner-kube"]
	if core == nil || runner == nil {
		t.Fatalf("want Deployments hangar and hangar-runner-kube, have %v", keys(byName))
	}
	if got := str(core, "spec", "template", "spec", "containers", 0, "args", 0); got != "all" {
		t.Errorf("core runs %q, want `hangar all`", got)
	}
	coreEnv := envOf(at(core, "spec", "template", "spec", "containers", 0))
	runnerEnv := envOf(at(runner, "spec", "template", "spec", "containers", 0))
	for name, want := range map[string]string{
		"DRONE_DATABASE_DRIVER":              "postgres",
		"DRONE_DATABASE_DATASOURCE":          "secret:hangar-db/dsn",
		"HANGAR_WEBHOOK_DATABASE_DRIVER":     "postgres",
		"HANGAR_WEBHOOK_DATABASE_DATASOURCE": "secret:hangar-db/dsn",
		"DRONE_SECRET":                       "secret:hangar/DRONE_SECRET",
		"DRONE_RPC_SECRET":                   "secret:hangar/DRONE_RPC_SECRET",
		"DRONE_DATABASE_SECRET":              "secret:hangar/DRONE_DATABASE_SECRET",
		"DRONE_COOKIE_SECRET":                "secret:hangar/DRONE_COOKIE_SECRET",
		"DRONE_SERVER_HOST":                  "drone.example.com",
		"DRONE_SERVER_PROTO":                 "https",
		"DRONE_BIND":                         ":3000",
	} {
		if got := coreEnv[name]; got != want {
			t.Errorf("core %s: got %q, want %q", name, got, want)
		}
	}
	for name, want := range map[string]string{
		"DRONE_RPC_HOST":                 "hangar:3000",
		"DRONE_RPC_PROTO":                "http",
		"DRONE_RPC_SECRET":               coreEnv["DRONE_RPC_SECRET"],
		"DRONE_NAMESPACE_DEFAULT":        "hangar-builds",
		"DRONE_SECRET_PLUGIN_ENDPOINT":   "http://hangar:3000/secret",
		"DRONE_SECRET_PLUGIN_TOKEN":      coreEnv["DRONE_SECRET"],
		"DRONE_REGISTRY_PLUGIN_ENDPOINT": "http://hangar:3000/registry",
	} {
		if got := runnerEnv[name]; got != want {
			t.Errorf("runner %s: got %q, want %q", name, got, want)
		}
	}
	if byName["Service/hangar"] == nil || byName["PodDisruptionBudget/hangar"] == nil {
		t.Errorf("want Service and PodDisruptionBudget hangar, have %v", keys(byName))
	}
	pol := byName["NetworkPolicy/hangar-builds"]
	if got := strings.Join(toStrings(list(pol, "spec", "egress", 1, "to", 0, "ipBlock", "except")), ","); got != "10.20.0.5/32,10.244.0.0/16,10.96.0.0/12" {
		t.Errorf("build pods' egress except %q, want the database and cluster ranges", got)
	}
}

func keys(m map[string]object) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func toStrings(l []any) []string {
	var out []string
	for _, v := range l {
		s, _ := v.(string)
		out = append(out, s)
	}
	return out
}

// TestChartSchemaRefuses proves values.schema.json stops wrong values at
// `helm lint` and `helm template` (so at `helm install`), naming the field.
func TestChartSchemaRefuses(t *testing.T) {
	t.Parallel()
	base := filepath.Join(chartDir, "examples", "server-ha.yaml")
	cases := []struct {
		name string
		set  []string
		want string // in the error
	}{
		{"replicas as a string", []string{"--set-string", "replicas=3"}, "replicas"},
		{"server mode without a database DSN", []string{"--set", "database.existingSecret="}, "existingSecret"},
		{"server mode on SQLite with 3 replicas", []string{"--set", "database.driver=sqlite3"}, "replicas"},
		{"no shared secret", []string{"--set", "secrets.existingSecret="}, "existingSecret"},
		{"server mode split into services", []string{"--set", "layout=split"}, "layout"},
		{"a misspelt setting", []string{"--set", "replica=2"}, "replica"},
		{"a literal secret in extraEnv", []string{"--set", "extraEnv[0].name=HANGAR_API_TOKEN,extraEnv[0].value=x"}, "extraEnv"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			for _, cmd := range [][]string{
				{"lint", chartDir, "-f", base},
				{"template", "hangar", chartDir, "-f", base},
			} {
				out, err := helm(t, append(cmd, c.set...)...)
				if err == nil {
					t.Fatalf("helm %s %v accepted the values:\n%s", cmd[0], c.set, tail([]byte(out), 500))
				}
				if !strings.Contains(out, "schema") || !strings.Contains(out, c.want) {
					t.Fatalf("helm %s %v: want a schema error naming %q, got:\n%s", cmd[0], c.set, c.want, out)
				}
			}
		})
	}
}
