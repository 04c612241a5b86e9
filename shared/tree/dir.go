package tree

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Limits on what a Dir loads into memory.
const (
	maxFileSize  = 1 << 20
	maxTotalSize = 256 << 20
)

// snapshot is an immutable copy of the tree's files.
type snapshot struct {
	files map[string][]byte
	gen   uint64
}

// Dir is a local directory held in memory and reloaded when it changes. It
// follows a git-sync style root (a symlink swapped to a new worktree) as
// well as edits in place. Reads never touch the disk, so no name can reach
// outside the tree: a path either is a key of the snapshot or is absent.
type Dir struct {
	root   string
	logger *slog.Logger
	poll   time.Duration
	cur    atomic.Pointer[snapshot]
	mu     sync.Mutex // serialises reloads
	err    atomic.Pointer[error]
	// watched is the resolved root Run watches (Run's goroutine only).
	watched string
}

// NewDir loads root and returns the Dir. Call Run to keep it current.
func NewDir(root string, logger *slog.Logger) (*Dir, error) {
	d := &Dir{root: root, logger: logger, poll: 30 * time.Second}
	if err := d.Reload(); err != nil {
		return nil, err
	}
	return d, nil
}

// ReadFile returns a file of the current snapshot.
func (d *Dir) ReadFile(_ context.Context, name string) ([]byte, error) {
	if err := ValidPath(name); err != nil {
		return nil, err
	}
	b, ok := d.cur.Load().files[name]
	if !ok {
		return nil, fmt.Errorf("%s: %w", name, ErrNotExist)
	}
	return b, nil
}

// Files lists every file of the current snapshot, sorted.
func (d *Dir) Files(context.Context) ([]string, error) {
	return slices.Sorted(maps.Keys(d.cur.Load().files)), nil
}

// Generation increases whenever a reload changed the content, so callers
// that parse a file can cache the result until it moves.
func (d *Dir) Generation() uint64 { return d.cur.Load().gen }

// Ready reports the last reload error, if the newest reload failed (the
// previous snapshot keeps being served meanwhile).
func (d *Dir) Ready(context.Context) error {
	if p := d.err.Load(); p != nil && *p != nil {
		return *p
	}
	return nil
}

// Reload reads the directory again and swaps the snapshot in when it
// differs.
func (d *Dir) Reload() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	files, err := load(d.root)
	d.err.Store(&err)
	if err != nil {
		return err
	}
	old := d.cur.Load()
	if old != nil && maps.EqualFunc(old.files, files, func(a, b []byte) bool { return string(a) == string(b) }) {
		return nil
	}
	gen := uint64(1)
	if old != nil {
		gen = old.gen + 1
	}
	d.cur.Store(&snapshot{files: files, gen: gen})
	if old != nil {
		d.logger.Info("config repository reloaded", slog.String("root", d.root), slog.Int("files", len(files)), slog.Uint64("generation", gen))
	}
	return nil
}

func load(root string) (map[string][]byte, error) {
	real, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil, fmt.Errorf("config repository %s: %w", root, err)
	}
	files := map[string][]byte{}
	var total int64
	err = filepath.WalkDir(real, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := e.Name()
		if e.IsDir() {
			if p != real && strings.HasPrefix(name, ".") {
				return filepath.SkipDir // .git, git-sync's .worktrees
			}
			return nil
		}
		if !e.Type().IsRegular() || strings.HasPrefix(name, ".") {
			return nil
		}
		rel, err := filepath.Rel(real, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if ValidPath(rel) != nil {
			return nil
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		if info.Size() > maxFileSize {
			return nil
		}
		if total += info.Size(); total > maxTotalSize {
			return fmt.Errorf("config repository %s is larger than %d bytes", root, maxTotalSize)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files[rel] = b
		return nil
	})
	if err != nil {
		return nil, err
	}
	return files, nil
}

// Debounce of file events: a reload waits until events pause for
// quietPeriod, but never longer than maxDelay after the first one, so a
// change is served promptly however busy the tree is.
const (
	quietPeriod = 150 * time.Millisecond
	maxDelay    = time.Second
)

// Run watches the directory and reloads within a second of a change, with
// a periodic full rescan as a safety net for file systems that do not
// deliver events. It returns when ctx ends.
func (d *Dir) Run(ctx context.Context) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		d.logger.Warn("file watching unavailable, polling only", slog.String("error", err.Error()))
		return d.pollOnly(ctx)
	}
	defer w.Close()
	d.watchAll(w)
	ticker := time.NewTicker(d.poll)
	defer ticker.Stop()
	quiet := time.NewTimer(time.Hour)
	quiet.Stop()
	var (
		pending  bool
		deadline <-chan time.Time // the bound on the current wait
	)
	reload := func() {
		quiet.Stop()
		pending, deadline = false, nil
		d.reloadLogged()
		d.watchAll(w)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			if ev.Op == fsnotify.Chmod || !d.concerns(ev.Name) {
				continue
			}
			quiet.Reset(quietPeriod)
			if !pending {
				pending, deadline = true, time.After(maxDelay)
			}
		case err, ok := <-w.Errors:
			if ok {
				d.logger.Warn("file watcher error", slog.String("error", err.Error()))
			}
		case <-quiet.C:
			if pending {
				reload()
			}
		case <-deadline:
			reload()
		case <-ticker.C:
			d.reloadLogged()
		}
	}
}

// concerns reports whether a file event is about the tree: a path inside
// it, or the root itself (a git-sync symlink swap). The root's parent is
// watched only for the latter; everything else there (a log file beside
// the tree) is noise.
func (d *Dir) concerns(name string) bool {
	name = filepath.Clean(name)
	root := filepath.Clean(d.root)
	if name == root || strings.HasPrefix(name, root+string(filepath.Separator)) {
		return true
	}
	// The resolved tree as of the last watchAll: watches are on it.
	real := d.watched
	return real != "" && (name == real || strings.HasPrefix(name, real+string(filepath.Separator)))
}

func (d *Dir) pollOnly(ctx context.Context) error {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			d.reloadLogged()
		}
	}
}

func (d *Dir) reloadLogged() {
	if err := d.Reload(); err != nil {
		d.logger.Error("config repository reload failed; serving the previous content", slog.String("error", err.Error()))
	}
}

// watchAll (re)adds a watch on the root's parent (to see a symlink swap)
// and on every directory of the resolved tree. Adding an existing watch is
// a no-op; stale ones are dropped.
func (d *Dir) watchAll(w *fsnotify.Watcher) {
	want := map[string]bool{filepath.Dir(filepath.Clean(d.root)): true, d.root: true}
	if real, err := filepath.EvalSymlinks(d.root); err == nil {
		d.watched = filepath.Clean(real)
		filepath.WalkDir(real, func(p string, e fs.DirEntry, err error) error {
			if err == nil && e.IsDir() {
				if p != real && strings.HasPrefix(e.Name(), ".") {
					return filepath.SkipDir
				}
				want[p] = true
			}
			return nil
		})
	}
	for _, p := range w.WatchList() {
		if !want[p] {
			w.Remove(p)
		}
	}
	for p := range want {
		if err := w.Add(p); err != nil {
			d.logger.Debug("cannot watch", slog.String("dir", p), slog.String("error", err.Error()))
		}
	}
}
