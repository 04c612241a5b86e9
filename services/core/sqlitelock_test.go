package core

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hangar-ci/hangar/shared/envconf"
	"github.com/hangar-ci/hangar/shared/server"
)

// TestSQLiteOneReplica starts a second core server on the SQLite file of a
// running one: it is refused with a message naming the way out, and once
// the first has stopped a new one starts.
func TestSQLiteOneReplica(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "core.db")
	opts, err := OptionsFromEnv(envconf.Map(map[string]string{
		"HANGAR_API_TOKEN":          "tok",
		"DRONE_DATABASE_DRIVER":     "sqlite3",
		"DRONE_DATABASE_DATASOURCE": file,
	}), "")
	if err != nil {
		t.Fatal(err)
	}
	first, err := New(opts, server.Env{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- first.Run(ctx) }()

	_, err = New(opts, server.Env{})
	if err == nil {
		t.Fatal("a second replica on the same SQLite file started")
	}
	for _, want := range []string{"SQLite serves one replica", "postgres"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}

	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	again, err := New(opts, server.Env{})
	if err != nil {
		t.Fatalf("after the first stopped: %v", err)
	}
	ctx2, stop2 := context.WithCancel(context.Background())
	stop2()
	if err := again.Run(ctx2); err != nil {
		t.Fatal(err)
	}
}
