package core

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/hangar-ci/hangar/shared/envconf"
	"github.com/hangar-ci/hangar/shared/server"
)

// TestNewAndShutdown opens the SQLite database under the data directory,
// serves, and after shutdown answers 503 with the database closed.
func TestNewAndShutdown(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	svc, err := FromEnv(envconf.Map(map[string]string{"HANGAR_DATA_DIR": filepath.Join(dir, "nested"), "HANGAR_API_TOKEN": "tok"}), server.Env{})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Ready(context.Background()); err != nil {
		t.Fatalf("ready: %v", err)
	}
	srv := httptest.NewServer(svc.Handler)
	defer srv.Close()
	if code, _ := call(t, srv, "GET", "/api/repos", "tok", ""); code != http.StatusOK {
		t.Fatalf("before shutdown: got %d, want 200", code)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	if code, _ := call(t, srv, "GET", "/api/repos", "tok", ""); code != http.StatusServiceUnavailable {
		t.Errorf("after shutdown: got %d, want 503", code)
	}
	if err := svc.Ready(context.Background()); err == nil {
		t.Error("ready after shutdown: got nil, want the closed database's error")
	}
}
