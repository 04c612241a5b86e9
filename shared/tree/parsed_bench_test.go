package tree

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkParsedGet measures the per-request cost of an unchanged file:
// a generation check on a Dir, a read and byte comparison without one,
// and, as the baseline, reading and parsing on every call.
func BenchmarkParsedGet(b *testing.B) {
	root := b.TempDir()
	content := strings.Repeat("# a comment line of a policy file\n", 100) + "1\n"
	if err := os.MkdirAll(filepath.Join(root, "_hangar"), 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, parsedPath), []byte(content), 0o644); err != nil {
		b.Fatal(err)
	}
	d, err := NewDir(root, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	parse := func(raw []byte) (int, error) { return strings.Count(string(raw), "\n"), nil }
	ctx := context.Background()
	b.Run("generation", func(b *testing.B) {
		p := NewParsed(d, parsedPath, parse, ParsedOptions[int]{})
		for b.Loop() {
			if _, err := p.Get(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("bytes", func(b *testing.B) {
		p := NewParsed(plain{d}, parsedPath, parse, ParsedOptions[int]{})
		for b.Loop() {
			if _, err := p.Get(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("baseline-parse-every-call", func(b *testing.B) {
		for b.Loop() {
			raw, err := d.ReadFile(ctx, parsedPath)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := parse(raw); err != nil {
				b.Fatal(err)
			}
		}
	})
}
