package reqlog

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

func TestAnnotateReachesLogger(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	ctx := New(context.Background(), slog.New(slog.NewJSONHandler(&buf, nil)))
	Annotate(ctx, slog.String("request_id", "r1"))
	Annotate(ctx, slog.String("repo", "octo/hello"))
	From(ctx).Info("decided", slog.String("decision", "skip"))
	line := buf.String()
	for _, want := range []string{`"request_id":"r1"`, `"repo":"octo/hello"`, `"decision":"skip"`} {
		if !strings.Contains(line, want) {
			t.Errorf("log line %s lacks %s", line, want)
		}
	}
	got := AppendAttrs(ctx, []slog.Attr{slog.Int("first", 1)})
	if len(got) != 3 || got[0].Key != "first" || got[2].Key != "repo" {
		t.Errorf("AppendAttrs = %v, want first, request_id, repo", got)
	}
}

func TestWithoutLogger(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	Annotate(ctx, slog.String("k", "v")) // no entry: ignored, no panic
	From(ctx).Info("dropped")
	if got := AppendAttrs(ctx, nil); got != nil {
		t.Errorf("AppendAttrs without an entry = %v, want nil", got)
	}
}

func TestConcurrentAnnotate(t *testing.T) {
	t.Parallel()
	ctx := New(context.Background(), slog.New(slog.DiscardHandler))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				Annotate(ctx, slog.Int("n", 1))
				From(ctx)
			}
		})
	}
	wg.Wait()
	if n := len(AppendAttrs(ctx, nil)); n != 800 {
		t.Errorf("annotations = %d, want 800", n)
	}
}
