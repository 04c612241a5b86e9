package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// billionLaughs builds the classic alias bomb: each level holds ten
// aliases of the level before, 10^levels nodes once expanded.
func billionLaughs(levels int) []byte {
	var b strings.Builder
	b.WriteString("kind: pipeline\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i <= levels; i++ {
		fmt.Fprintf(&b, "a%d: &a%d [", i, i)
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*a%d", i-1)
		}
		b.WriteString("]\n")
	}
	return []byte(b.String())
}

func TestParseHostile(t *testing.T) {
	// Not parallel: each case asserts how much the parse allocated, which
	// only means something while nothing else runs.
	huge := bytes.Repeat([]byte("# padding line of a hundred megabytes of comments .......................\n"), 100<<20/74)
	huge = append([]byte("kind: pipeline\n"), huge...)
	tests := []struct {
		name     string
		in       []byte
		maxAlloc uint64
	}{
		{"billion laughs", billionLaughs(9), 1 << 20},
		{"100 MB document", huge, 1 << 20},
		{"10000-deep flow sequences", []byte("kind: pipeline\nx: " + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + "\n"), 16 << 20},
		{"10000-deep flow mappings", []byte("kind: pipeline\nx: " + strings.Repeat("{a: ", 10000) + "1" + strings.Repeat("}", 10000) + "\n"), 16 << 20},
		{"10000-deep block sequences", []byte("kind: pipeline\nx:\n" + strings.Repeat("- ", 10000) + "1\n"), 16 << 20},
		{"deep through aliases", []byte("kind: pipeline\na: &a " + strings.Repeat("[", 60) + "1" + strings.Repeat("]", 60) +
			"\nd: " + strings.Repeat("[", 60) + "*a" + strings.Repeat("]", 60) + "\n"), 1 << 20},
		{"self-referencing alias", []byte("kind: pipeline\na: &a [1, *a]\n"), 1 << 20},
		{"invalid UTF-8", []byte("kind: pipeline\nname: \xff\xfe\n"), 1 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := Parse(tt.in)
			runtime.ReadMemStats(&after)
			if err == nil {
				t.Fatal("got no error, want one")
			}
			if !errors.Is(err, ErrLimit) {
				t.Errorf("got %v, want an error wrapping ErrLimit", err)
			}
			if !strings.HasPrefix(err.Error(), "yaml: ") {
				t.Errorf("got message %q, want it to start with yaml:", err)
			}
			if got := after.TotalAlloc - before.TotalAlloc; got > tt.maxAlloc {
				t.Errorf("parse allocated %d bytes, want at most %d", got, tt.maxAlloc)
			}
		})
	}
}

func TestParseLimitsConfigurable(t *testing.T) {
	t.Parallel()
	in := []byte("kind: pipeline\nsteps:\n- name: a\n  image: b\n---\nkind: pipeline\nname: x\n")
	tests := []struct {
		name string
		l    Limits
		want string
	}{
		{"bytes", Limits{MaxBytes: 10}, "exceeds the limit of 10 bytes"},
		{"documents", Limits{MaxDocuments: 1}, "more than 1 documents"},
		{"depth", Limits{MaxDepth: 3}, "nesting deeper than 3 levels"},
		{"nodes", Limits{MaxNodes: 5}, "more than 5 nodes"},
		{"defaults", Limits{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseLimits(in, tt.l)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("got %v, want no error", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, ErrLimit) {
				t.Fatalf("got %v, want a limit error containing %q", err, tt.want)
			}
		})
	}
}
