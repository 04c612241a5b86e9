// Package toolstest finds the binaries scripts/tools builds into bin/ from
// the Go module proxy (Vault, the Kubernetes control plane, Helm, …) for
// tests, building them on first use. A tool that cannot be built fails the
// test with the reason; nothing is skipped.
package toolstest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// Bin returns bin/<names[0]> of the repository, running scripts/tools first
// when any of names (paths under bin/) is missing. Test packages running in
// parallel take a file lock, so only one of them builds.
func Bin(t testing.TB, names ...string) string {
	t.Helper()
	root := RepoRoot(t)
	all := func() bool {
		for _, n := range names {
			if !executable(filepath.Join(root, "bin", n)) {
				return false
			}
		}
		return true
	}
	bin := filepath.Join(root, "bin", names[0])
	if all() {
		return bin
	}
	if err := os.MkdirAll(filepath.Join(root, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	lock, err := os.OpenFile(filepath.Join(root, "bin", ".tools.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if all() {
		return bin // built by another package meanwhile
	}
	t.Logf("building %s with scripts/tools (minutes on a cold cache)", strings.Join(names, ", "))
	cmd := exec.Command(filepath.Join(root, "scripts", "tools"))
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scripts/tools: %v\n%s", err, strings.TrimSpace(string(out)))
	}
	if !all() {
		t.Fatalf("scripts/tools did not build every one of bin/%s", strings.Join(names, ", bin/"))
	}
	return bin
}

func executable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// RepoRoot finds the Hangar module root above the working directory.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(b, []byte("module github.com/hangar-ci/hangar\n")) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("toolstest: no github.com/hangar-ci/hangar go.mod above the working directory")
		}
		dir = parent
	}
}
