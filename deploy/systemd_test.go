package deploy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const unitFile = "systemd/hangar.service"

// unitForHost is the unit with ExecStart pointing at a real hangar binary
// of this checkout, written into a temporary directory: systemd-analyze
// checks that the command exists.
func unitForHost(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	const exec = "ExecStart=/usr/local/bin/hangar all"
	if !strings.Contains(string(b), exec) {
		t.Fatalf("%s: no %q line", unitFile, exec)
	}
	unit := strings.Replace(string(b), exec, "ExecStart="+hangar(t)+" all", 1)
	p := filepath.Join(t.TempDir(), "hangar.service")
	if err := os.WriteFile(p, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSystemdUnitVerifies runs Debian's `systemd-analyze verify` on the unit:
// it must exit 0 and print nothing (an unparsable directive is only a
// warning there, so any output is a failure).
func TestSystemdUnitVerifies(t *testing.T) {
	t.Parallel()
	analyze := debianTool(t, "systemd-analyze")
	out, err := run(t, time.Minute, nil, analyze, "verify", "--man=no", unitForHost(t))
	if err != nil || strings.TrimSpace(out) != "" {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// TestSystemdUnitHardened checks the hardening the issue asks for, by
// directive and by systemd's own exposure score (offline analysis).
func TestSystemdUnitHardened(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"DynamicUser=yes", "ProtectSystem=strict", "StateDirectory=hangar",
		"NoNewPrivileges=yes", "ProtectHome=yes", "PrivateTmp=yes",
		"CapabilityBoundingSet=\n", "SystemCallFilter=@system-service",
	} {
		if !strings.Contains(string(b), "\n"+want) {
			t.Errorf("%s lacks %q", unitFile, strings.TrimSpace(want))
		}
	}
	analyze := debianTool(t, "systemd-analyze")
	// --threshold is in tenths: exposure above 2.0 ("OK" ends at 3.9) fails.
	out, err := run(t, time.Minute, nil, analyze, "security", "--offline=true", "--threshold=20", unitForHost(t))
	if err != nil {
		t.Fatalf("systemd-analyze security: exposure above 2.0 (or error %v)\n%s", err, tail([]byte(out), 3000))
	}
	if !strings.Contains(out, "Overall exposure level") {
		t.Fatalf("systemd-analyze security printed no exposure level:\n%s", out)
	}
}
