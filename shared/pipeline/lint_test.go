package pipeline

import (
	"testing"
)

func TestLintManifest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want, rule string
	}{
		{"valid", "kind: pipeline\nname: a\n---\nkind: pipeline\nname: b\ndepends_on: [a]\n", "", ""},
		{"duplicate names", "kind: pipeline\nname: a\n---\nkind: pipeline\nname: a\n", "linter: duplicate pipeline names", "duplicate-pipeline"},
		{"two unnamed", "kind: pipeline\n---\nkind: pipeline\n", "linter: duplicate pipeline names", "duplicate-pipeline"},
		{"forward reference", "kind: pipeline\nname: a\ndepends_on: [b]\n---\nkind: pipeline\nname: b\n", "linter: invalid or unknown pipeline dependency", "pipeline-dependency"},
		{"unknown dependency", "kind: pipeline\nname: a\ndepends_on: [x]\n", "linter: invalid or unknown pipeline dependency", "pipeline-dependency"},
		{"self dependency", "kind: pipeline\nname: a\ndepends_on: [a]\n", "linter: pipeline cannot have a dependency on itself", "pipeline-self-dependency"},
		{"bad os", "kind: pipeline\nplatform: {os: plan9}\n", "linter: unsupported os: plan9", "os"},
		{"bad arch", "kind: pipeline\nplatform: {arch: mips}\n", "linter: unsupported architecture: mips", "arch"},
		{"windows arm64 fine", "kind: pipeline\nplatform: {os: windows, arch: arm64}\n", "", ""},
		{"platform only for docker", "kind: pipeline\ntype: exec\nplatform: {os: darwin}\n", "", ""},
		{"platform only for kind pipeline", "kind: custom\nplatform: {os: darwin}\n", "", ""},
		{"trusted rules not applied", "kind: pipeline\nsteps:\n- name: a\n  image: b\n  privileged: true\n", "", ""},
		{"other resources ignored", "kind: secret\n---\nkind: cron\n", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := Parse([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			checkLint(t, LintManifest(m), tt.want, tt.rule)
		})
	}
}

func checkLint(t *testing.T, err error, want, rule string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("got %v, want no finding", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("got no finding, want %q", want)
	}
	if err.Error() != want {
		t.Errorf("got message %q, want %q", err, want)
	}
	if got := err.(*Error).Rule; got != rule {
		t.Errorf("got rule %q, want %q", got, rule)
	}
}

func TestLintResource(t *testing.T) {
	t.Parallel()
	const pl = "kind: pipeline\nname: p\n"
	tests := []struct {
		name, in string
		trusted  bool
		want     string
		rule     string
		step     string
	}{
		{"valid", pl + "steps:\n- name: a\n  image: b\n- name: c\n  image: d\n  depends_on: [a, clone]\nservices:\n- name: db\n  image: pg\n", false, "", "", ""},
		{"cron without branch", "kind: cron\nname: c\nspec: {schedule: '@daily'}\n", false, "yaml: invalid cron branch", "cron-branch", ""},
		{"cron with branch", "kind: cron\nspec: {branch: main}\n", false, "", "", ""},
		{"secret without data or get", "kind: secret\nname: s\n", false, "yaml: invalid secret resource", "secret", ""},
		{"secret with get", "kind: secret\nname: s\nget: {path: p, name: n}\n", false, "", "", ""},
		{"registry without data", "kind: registry\n", false, "yaml: invalid registry resource", "registry", ""},
		{"registry with data", "kind: registry\ndata: {a: b}\n", false, "", "", ""},
		{"signature without hmac", "kind: signature\n", false, "yaml: invalid signature. missing hash", "signature", ""},
		{"host volume untrusted", pl + "volumes:\n- name: v\n  host: {path: /tmp}\n", false, "linter: untrusted repositories cannot mount host volumes", "volume-host", ""},
		{"host volume trusted", pl + "volumes:\n- name: v\n  host: {path: /tmp}\n", true, "", "", ""},
		{"memory volume untrusted", pl + "volumes:\n- name: v\n  temp: {medium: memory}\n", false, "linter: untrusted repositories cannot mount in-memory volumes", "volume-memory", ""},
		{"disk temp volume untrusted", pl + "volumes:\n- name: v\n  temp: {}\n", false, "", "", ""},
		{"reserved pipeline volume", pl + "volumes:\n- name: _docker_socket\n  temp: {}\n", true, "linter: invalid volume name: _docker_socket", "volume-name", ""},
		{"reserved mount", pl + "steps:\n- name: a\n  image: b\n  volumes: [{name: workspace, path: /w}]\n", true, "linter: invalid volume name: workspace", "volume-name", "a"},
		{"platform", pl + "platform: {os: plan9}\n", false, "linter: unsupported os: plan9", "os", ""},
		{"duplicate step", pl + "steps:\n- name: a\n  image: b\n- name: a\n  image: b\n", false, "linter: duplicate step names", "duplicate-step", "a"},
		{"step named clone", pl + "steps:\n- name: clone\n  image: b\n", false, "linter: duplicate step names", "duplicate-step", "clone"},
		{"clone name free when disabled", pl + "clone: {disable: true}\nsteps:\n- name: clone\n  image: b\n", false, "", "", ""},
		{"service and step share a name", pl + "steps:\n- name: a\n  image: b\nservices:\n- name: a\n  image: b\n", false, "linter: duplicate step names", "duplicate-step", "a"},
		{"missing image", pl + "steps:\n- name: a\n", false, "linter: invalid or missing image", "image", "a"},
		{"build without image", pl + "steps:\n- name: a\n  image: b\n  build: {context: .}\n", false, "linter: invalid or missing build image", "build-image", "a"},
		{"build short form", pl + "steps:\n- name: a\n  build: owner/app\n", false, "", "", ""},
		{"missing name", pl + "steps:\n- image: b\n", false, "linter: invalid or missing name", "name", ""},
		{"privileged", pl + "steps:\n- name: a\n  image: b\n  privileged: true\n", false, "linter: untrusted repositories cannot enable privileged mode", "privileged", "a"},
		{"privileged trusted", pl + "steps:\n- name: a\n  image: b\n  privileged: true\n", true, "", "", ""},
		{"devices", pl + "steps:\n- name: a\n  image: b\n  devices: [{name: d, path: /dev/x}]\n", false, "linter: untrusted repositories cannot mount devices", "devices", "a"},
		{"dns", pl + "steps:\n- name: a\n  image: b\n  dns: [1.1.1.1]\n", false, "linter: untrusted repositories cannot configure dns", "dns", "a"},
		{"dns_search", pl + "steps:\n- name: a\n  image: b\n  dns_search: [x]\n", false, "linter: untrusted repositories cannot configure dns_search", "dns-search", "a"},
		{"extra_hosts", pl + "steps:\n- name: a\n  image: b\n  extra_hosts: [x:1.2.3.4]\n", false, "linter: untrusted repositories cannot configure extra_hosts", "extra-hosts", "a"},
		{"network_mode", pl + "steps:\n- name: a\n  image: b\n  network_mode: host\n", false, "linter: untrusted repositories cannot configure network_mode", "network-mode", "a"},
		{"host port on service", pl + "services:\n- name: a\n  image: b\n  ports: [{port: 80, host: 80}]\n", false, "linter: untrusted repositories cannot map to a host port", "host-port", "a"},
		{"container port only", pl + "services:\n- name: a\n  image: b\n  ports: [80]\n", false, "", "", ""},
		{"host port checked before image", pl + "steps:\n- name: a\n  ports: [{port: 80, host: 80}]\n", false, "linter: untrusted repositories cannot map to a host port", "host-port", "a"},
		{"unknown step dependency", pl + "steps:\n- name: a\n  image: b\n  depends_on: [c]\n- name: c\n  image: b\n", false, "linter: invalid or unknown step dependency", "step-dependency", "a"},
		{"self step dependency", pl + "steps:\n- name: a\n  image: b\n  depends_on: [a]\n", false, "linter: cyclical step dependency detected", "step-cycle", "a"},
		{"clone dependency when disabled", pl + "clone: {disable: true}\nsteps:\n- name: a\n  image: b\n  depends_on: [clone]\n", false, "linter: invalid or unknown step dependency", "step-dependency", "a"},
		{"services not dependency-checked", pl + "services:\n- name: a\n  image: b\n  depends_on: [x]\n", false, "", "", ""},
		// Container rules belong to the docker and kubernetes runners;
		// the other runners' steps have no image (#11 item 9).
		{"exec step without image", "kind: pipeline\ntype: exec\nname: p\nsteps:\n- name: a\n  commands: [make]\n", false, "", "", ""},
		{"ssh step without image", "kind: pipeline\ntype: ssh\nname: p\nsteps:\n- name: a\n  commands: [make]\n", false, "", "", ""},
		{"digitalocean step without image", "kind: pipeline\ntype: digitalocean\nname: p\nsteps:\n- name: a\n  commands: [make]\n", false, "", "", ""},
		{"macstadium step without image", "kind: pipeline\ntype: macstadium\nname: p\nsteps:\n- name: a\n  commands: [make]\n", false, "", "", ""},
		{"exec on darwin", "kind: pipeline\ntype: exec\nname: p\nplatform: {os: darwin, arch: arm64}\nsteps:\n- name: a\n  commands: [make]\n", false, "", "", ""},
		{"exec duplicate step", "kind: pipeline\ntype: exec\nname: p\nsteps:\n- name: a\n- name: a\n", false, "linter: duplicate step names", "duplicate-step", "a"},
		{"exec unknown step dependency", "kind: pipeline\ntype: exec\nname: p\nsteps:\n- name: a\n  depends_on: [x]\n", false, "linter: invalid or unknown step dependency", "step-dependency", "a"},
		{"kubernetes step without image", "kind: pipeline\ntype: kubernetes\nname: p\nsteps:\n- name: a\n", false, "linter: invalid or missing image", "image", "a"},
		{"kubernetes privileged", "kind: pipeline\ntype: kubernetes\nname: p\nsteps:\n- name: a\n  image: b\n  privileged: true\n", false, "linter: untrusted repositories cannot enable privileged mode", "privileged", "a"},
		{"docker type step without image", "kind: pipeline\ntype: docker\nname: p\nsteps:\n- name: a\n", false, "linter: invalid or missing image", "image", "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := Parse([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			err = LintResource(m.Resources[0], tt.trusted)
			checkLint(t, err, tt.want, tt.rule)
			if err != nil && err.(*Error).Step != tt.step {
				t.Errorf("got step %q, want %q", err.(*Error).Step, tt.step)
			}
		})
	}
}

func TestLintCollectsEveryDocument(t *testing.T) {
	t.Parallel()
	in := "kind: pipeline\nname: a\nsteps:\n- name: x\n---\nkind: pipeline\nname: a\n---\nkind: cron\n"
	m, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range Lint(m, false) {
		got = append(got, e.Where()+": "+e.Error())
	}
	want := []string{
		`line 6, pipeline "a": linter: duplicate pipeline names`,
		`line 4, pipeline "a", step "x": linter: invalid or missing image`,
		`line 9: yaml: invalid cron branch`,
	}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("finding %d: got %q, want %q", i, got[i], want[i])
		}
	}
}
