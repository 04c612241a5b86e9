package tree

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls until name holds want; the service promises a change is
// served within 2 s.
func waitFor(t *testing.T, d *Dir, name, want string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		got, err := d.ReadFile(context.Background(), name)
		if err == nil && string(got) == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 2s %s = %q, %v; want %q", name, got, err, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func startDir(t *testing.T, root string) *Dir {
	t.Helper()
	d, err := NewDir(root, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return d
}

func TestDirReloadsEdits(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	write(t, filepath.Join(root, "default.yaml"), "v1")
	write(t, filepath.Join(root, ".git/config"), "not served")
	d := startDir(t, root)
	gen := d.Generation()

	waitFor(t, d, "default.yaml", "v1")
	if _, err := d.ReadFile(context.Background(), ".git/config"); !errors.Is(err, ErrNotExist) {
		t.Errorf(".git/config: %v, want ErrNotExist (hidden folders are not served)", err)
	}
	time.Sleep(50 * time.Millisecond) // let the watcher settle its watches
	write(t, filepath.Join(root, "default.yaml"), "v2")
	waitFor(t, d, "default.yaml", "v2")
	write(t, filepath.Join(root, "octo/hello/release/1.2.yaml"), "new branch file")
	waitFor(t, d, "octo/hello/release/1.2.yaml", "new branch file")
	if d.Generation() <= gen {
		t.Errorf("Generation = %d after changes, want > %d", d.Generation(), gen)
	}
	os.Remove(filepath.Join(root, "default.yaml"))
	deadline := time.Now().Add(2 * time.Second)
	for {
		if _, err := d.ReadFile(context.Background(), "default.yaml"); errors.Is(err, ErrNotExist) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a deleted file is still served after 2s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestDirFollowsSymlinkSwap reproduces git-sync: the served path is a
// symlink that is atomically pointed at a new worktree.
func TestDirFollowsSymlinkSwap(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	write(t, filepath.Join(base, "rev1/default.yaml"), "rev1")
	write(t, filepath.Join(base, "rev2/default.yaml"), "rev2")
	link := filepath.Join(base, "current")
	if err := os.Symlink(filepath.Join(base, "rev1"), link); err != nil {
		t.Fatal(err)
	}
	d := startDir(t, link)
	waitFor(t, d, "default.yaml", "rev1")
	time.Sleep(50 * time.Millisecond)
	tmp := filepath.Join(base, "current.tmp")
	if err := os.Symlink(filepath.Join(base, "rev2"), tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, link); err != nil {
		t.Fatal(err)
	}
	waitFor(t, d, "default.yaml", "rev2")
}

func TestDirKeepsLastGoodOnError(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	root := filepath.Join(base, "repo")
	write(t, filepath.Join(root, "default.yaml"), "good")
	d, err := NewDir(root, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	os.Rename(root, filepath.Join(base, "moved"))
	if err := d.Reload(); err == nil {
		t.Fatal("Reload of a vanished directory = nil, want an error")
	}
	if d.Ready(context.Background()) == nil {
		t.Error("Ready = nil after a failed reload, want the error")
	}
	if got, err := d.ReadFile(context.Background(), "default.yaml"); err != nil || string(got) != "good" {
		t.Errorf("ReadFile = %q, %v; want the last good content", got, err)
	}
}
