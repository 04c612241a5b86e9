package tree

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// flaky is a Dir whose reads can be made to fail, as a Remote's do when
// the API is down; failing moves the generation, as an Invalidate would.
type flaky struct {
	d     *Dir
	mu    sync.Mutex
	err   error
	extra uint64
}

func (f *flaky) ReadFile(ctx context.Context, name string) ([]byte, error) {
	f.mu.Lock()
	err := f.err
	f.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return f.d.ReadFile(ctx, name)
}

func (f *flaky) Generation() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.d.Generation() + f.extra
}

func (f *flaky) fail(err error) {
	f.mu.Lock()
	f.err = err
	f.extra++
	f.mu.Unlock()
}

// plain hides the generation, as a tree without one.
type plain struct{ t Tree }

func (p plain) ReadFile(ctx context.Context, name string) ([]byte, error) {
	return p.t.ReadFile(ctx, name)
}

// syncBuffer is a log destination safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// step changes the file (or the tree), then checks Get and Ready.
type step struct {
	set   string // new content, unless "" (with del or fail unset: unchanged)
	del   bool
	fail  error
	touch bool // change another file: the generation moves, the bytes not

	want      int
	wantErr   string // substring of Get's error; "" for none
	wantReady string // substring of Ready's error; "" for none
	parses    int64  // parse calls so far
}

type parsedFixture struct {
	root   string
	dir    *Dir
	flaky  *flaky
	parses atomic.Int64
	logs   *syncBuffer
}

const parsedPath = "_hangar/n.txt"

func newParsedFixture(t *testing.T) *parsedFixture {
	t.Helper()
	f := &parsedFixture{root: t.TempDir(), logs: &syncBuffer{}}
	write(t, filepath.Join(f.root, "README"), "")
	d, err := NewDir(f.root, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	f.dir, f.flaky = d, &flaky{d: d}
	return f
}

// parse reads a decimal number; anything else is broken.
func (f *parsedFixture) parse(b []byte) (int, error) {
	f.parses.Add(1)
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, fmt.Errorf("not a number: %q", b)
	}
	return n, nil
}

func (f *parsedFixture) apply(t *testing.T, s step) {
	t.Helper()
	changed := true
	switch {
	case s.fail != nil:
		f.flaky.fail(s.fail)
		changed = false
	case s.del:
		if err := os.Remove(filepath.Join(f.root, parsedPath)); err != nil {
			t.Fatal(err)
		}
	case s.set != "":
		write(t, filepath.Join(f.root, parsedPath), s.set)
	case s.touch:
		write(t, filepath.Join(f.root, "README"), time.Now().String())
	default:
		changed = false
	}
	if s.fail == nil {
		f.flaky.fail(nil)
	}
	if changed {
		if err := f.dir.Reload(); err != nil {
			t.Fatal(err)
		}
	}
}

func check(t *testing.T, i int, p *Parsed[int], f *parsedFixture, s step) {
	t.Helper()
	ctx := context.Background()
	got, err := p.Get(ctx)
	switch {
	case s.wantErr == "" && err != nil:
		t.Errorf("step %d: Get = %v, want %d", i, err, s.want)
	case s.wantErr != "" && (err == nil || !strings.Contains(err.Error(), s.wantErr)):
		t.Errorf("step %d: Get = %d, %v; want an error containing %q", i, got, err, s.wantErr)
	case s.wantErr == "" && got != s.want:
		t.Errorf("step %d: Get = %d, want %d", i, got, s.want)
	}
	rerr := p.Ready(ctx)
	switch {
	case s.wantReady == "" && rerr != nil:
		t.Errorf("step %d: Ready = %v, want nil", i, rerr)
	case s.wantReady != "" && (rerr == nil || !strings.Contains(rerr.Error(), s.wantReady)):
		t.Errorf("step %d: Ready = %v, want an error containing %q", i, rerr, s.wantReady)
	}
	if n := f.parses.Load(); n != s.parses {
		t.Errorf("step %d: parsed %d times, want %d", i, n, s.parses)
	}
}

func TestParsed(t *testing.T) {
	t.Parallel()
	down := errors.New("github: 502 bad gateway")
	missingIsMinusOne := func() (int, error) { return -1, nil }
	tests := []struct {
		name      string
		noGen     bool
		strict    bool
		ifMissing func() (int, error)
		steps     []step
		wantLogs  []string
	}{
		{name: "first load", steps: []step{{set: "1", want: 1, parses: 1}},
			wantLogs: []string{`"msg":"number loaded"`}},
		{name: "unchanged is not parsed again", steps: []step{
			{set: "1", want: 1, parses: 1},
			{want: 1, parses: 1},
			{touch: true, want: 1, parses: 1},
		}},
		{name: "changed", steps: []step{
			{set: "1", want: 1, parses: 1},
			{set: "2", want: 2, parses: 2},
		}},
		{name: "broken keeps the last good one", steps: []step{
			{set: "1", want: 1, parses: 1},
			{set: "one", want: 1, wantReady: `_hangar/n.txt: not a number: "one"`, parses: 2},
			{touch: true, want: 1, wantReady: "not a number", parses: 2},
		}, wantLogs: []string{`"msg":"number broken, keeping the last good one"`, `"have_good":true`}},
		{name: "fixed again", steps: []step{
			{set: "1", want: 1, parses: 1},
			{set: "one", want: 1, wantReady: "not a number", parses: 2},
			{set: "3", want: 3, parses: 3},
		}},
		{name: "broken from the start fails", steps: []step{
			{set: "one", wantErr: "not a number", wantReady: "not a number", parses: 1},
			{set: "4", want: 4, parses: 2},
		}},
		{name: "missing file has the IfMissing value", ifMissing: missingIsMinusOne, steps: []step{
			{want: -1, parses: 0},
			{set: "5", want: 5, parses: 1},
			{del: true, want: -1, parses: 1},
		}},
		{name: "missing file without IfMissing is broken", steps: []step{
			{wantErr: "file does not exist", wantReady: parsedPath, parses: 0},
			{set: "6", want: 6, parses: 1},
			{del: true, want: 6, wantReady: "file does not exist", parses: 1},
		}},
		{name: "read error keeps the last good one", steps: []step{
			{set: "1", want: 1, parses: 1},
			{fail: down, want: 1, wantReady: "502 bad gateway", parses: 1},
			{want: 1, parses: 1},
		}, wantLogs: []string{`"msg":"number unreadable, keeping the last good one"`}},
		{name: "read error with nothing good fails", steps: []step{
			{fail: down, wantErr: "502 bad gateway", wantReady: "502 bad gateway"},
			{set: "7", want: 7, parses: 1},
		}},
		{name: "strict refuses while broken", strict: true, steps: []step{
			{set: "1", want: 1, parses: 1},
			{set: "one", wantErr: "not a number", wantReady: "not a number", parses: 2},
			{fail: down, wantErr: "502 bad gateway", wantReady: "502 bad gateway", parses: 2},
			{set: "8", want: 8, parses: 3},
		}, wantLogs: []string{`"msg":"number broken, refusing until it is fixed"`}},
		{name: "without a generation the bytes are compared", noGen: true, steps: []step{
			{set: "1", want: 1, parses: 1},
			{want: 1, parses: 1},
			{set: "2", want: 2, parses: 2},
			{set: "two", want: 2, wantReady: "not a number", parses: 3},
			{want: 2, wantReady: "not a number", parses: 3},
			{fail: down, want: 2, wantReady: "502 bad gateway", parses: 3},
			{want: 2, wantReady: "not a number", parses: 3},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newParsedFixture(t)
			var tr Tree = f.flaky
			if tt.noGen {
				tr = plain{f.flaky}
			}
			p := NewParsed(tr, parsedPath, f.parse, ParsedOptions[int]{
				Name: "number", Logger: slog.New(slog.NewJSONHandler(f.logs, nil)),
				IfMissing: tt.ifMissing, Strict: tt.strict,
			})
			for i, s := range tt.steps {
				f.apply(t, s)
				check(t, i, p, f, s)
			}
			for _, want := range tt.wantLogs {
				if !strings.Contains(f.logs.String(), want) {
					t.Errorf("logs lack %s; got:\n%s", want, f.logs.String())
				}
			}
		})
	}
}

// stuck is a tree whose generation never moves, as a Remote's when the
// push hook is missed.
type stuck struct{ Tree }

func (stuck) Generation() uint64 { return 1 }

func TestParsedRechecksAnUnchangedGeneration(t *testing.T) {
	t.Parallel()
	f := newParsedFixture(t)
	p := NewParsed[int](stuck{f.dir}, parsedPath, f.parse, ParsedOptions[int]{})
	now := time.Unix(1_700_000_000, 0)
	p.now = func() time.Time { return now }
	f.apply(t, step{set: "1"})
	check(t, 0, p, f, step{want: 1, parses: 1})
	f.apply(t, step{set: "2"})
	check(t, 1, p, f, step{want: 1, parses: 1})
	now = now.Add(DefaultRecheck)
	check(t, 2, p, f, step{want: 2, parses: 2})
}

func TestParsedConcurrent(t *testing.T) {
	t.Parallel()
	f := newParsedFixture(t)
	p := NewParsed(f.dir, parsedPath, f.parse, ParsedOptions[int]{})
	f.apply(t, step{set: "0"})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 200 {
				if n, err := p.Get(context.Background()); err != nil || n < 0 || n > 20 {
					t.Errorf("Get = %d, %v; want a number written", n, err)
					return
				}
			}
		})
	}
	for i := 1; i <= 20; i++ {
		f.apply(t, step{set: strconv.Itoa(i)})
	}
	wg.Wait()
	if n, err := p.Get(context.Background()); n != 20 || err != nil {
		t.Errorf("after the writes, Get = %d, %v; want 20", n, err)
	}
}

func TestHostRefusesRelativePaths(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "secrets.yaml")
	write(t, path, "a: b\n")
	tests := []struct {
		name, path string
		want       error
	}{
		{"absolute", path, nil},
		{"relative", "secrets.yaml", ErrInvalidPath},
		{"missing", path + ".gone", ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Host{}.ReadFile(context.Background(), tt.path)
			if !errors.Is(err, tt.want) && (tt.want != nil || err != nil) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
}
