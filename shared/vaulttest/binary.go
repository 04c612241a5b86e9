package vaulttest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// Binary returns bin/vault of the repository, running scripts/tools first
// when it or the Kubernetes plugin is missing. Test packages running in
// parallel take a file lock, so only one of them builds.
func Binary(t testing.TB) string {
	t.Helper()
	root := repoRoot(t)
	bin := filepath.Join(root, "bin", "vault")
	plugin := filepath.Join(root, "bin", "vault-plugins", "kubernetes")
	if executable(bin) && executable(plugin) {
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
	if executable(bin) && executable(plugin) {
		return bin // built by another package meanwhile
	}
	t.Logf("building Vault with scripts/tools (about 5 minutes on a cold cache)")
	cmd := exec.Command(filepath.Join(root, "scripts", "tools"))
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("scripts/tools: %v\n%s", err, trimmed(out))
	}
	return bin
}

func executable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// repoRoot finds the Hangar module root above the working directory.
func repoRoot(t testing.TB) string {
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
			t.Fatal("vaulttest: no github.com/hangar-ci/hangar go.mod above the working directory")
		}
		dir = parent
	}
}
