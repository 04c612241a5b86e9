package tree

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestDirServesChangesUnderNoise changes a pipeline while something else
// keeps changing faster than the debounce: a log file written beside the
// tree (its parent directory is watched for symlink swaps) or a file
// inside it. The change must be served within 2 s all the same; the time
// it took is logged.
func TestDirServesChangesUnderNoise(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		noise func(base, root string) string
	}{
		{"log file beside the tree", func(base, _ string) string { return filepath.Join(base, "hangar.log") }},
		{"busy file inside the tree", func(_, root string) string { return filepath.Join(root, "scratch/counter.txt") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			base := t.TempDir()
			root := filepath.Join(base, "repo")
			write(t, filepath.Join(root, "default.yaml"), "v1")
			noisy := tc.noise(base, root)
			write(t, noisy, "0")
			d := startDir(t, root)
			ctx, cancel := context.WithCancel(context.Background())
			stopped := make(chan struct{})
			go func() {
				defer close(stopped)
				for i := 0; ctx.Err() == nil; i++ {
					os.WriteFile(noisy, []byte(fmt.Sprint(i)), 0o644)
					time.Sleep(20 * time.Millisecond)
				}
			}()
			defer func() { cancel(); <-stopped }()
			time.Sleep(300 * time.Millisecond) // the noise is well under way
			start := time.Now()
			write(t, filepath.Join(root, "default.yaml"), "v2")
			waitFor(t, d, "default.yaml", "v2")
			t.Logf("change served after %v under a write every 20 ms", time.Since(start).Round(time.Millisecond))
		})
	}
}
