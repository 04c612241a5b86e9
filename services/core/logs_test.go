package core

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/shared/sqldb"
)

// TestLogsThroughRPC sends a step's lines as a runner does and reads them
// back as Drone's clients do: the SSE stream replays from position 0,
// follows new lines and ends with eof when the step ends; past
// HANGAR_LOG_LIMIT live lines are dropped and the upload keeps its newest.
func TestLogsThroughRPC(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, srv, st := serveCore(t, sqldb.SQLite, map[string]string{"HANGAR_API_TOKEN": "tok", "DRONE_RPC_SECRET": testRPCSecret, "HANGAR_LOG_LIMIT": "40"})
	repo := &model.Repo{Namespace: "octo", Name: "logs", Slug: "octo/logs", SCM: "github", Active: true, Secret: "s"}
	if err := st.CreateRepo(ctx, repo); err != nil {
		t.Fatal(err)
	}
	_, stages := rpcBuild(t, st, repo)
	a := stages[0].ID
	rpcCall(t, srv, testRPCSecret, "POST", fmt.Sprintf("/rpc/v2/stage/%d?machine=m", a), "")
	rpcCall(t, srv, testRPCSecret, "PUT", fmt.Sprintf("/rpc/v2/stage/%d", a), fmt.Sprintf(`{"status":"running","steps":[{"number":1,"step_id":%d,"name":"s","status":"running"}]}`, a))
	steps, _ := st.ListSteps(ctx, stages[0].BuildID)
	step := steps[0].ID
	batch := func(body string) {
		t.Helper()
		if code, out := rpcCall(t, srv, testRPCSecret, "POST", fmt.Sprintf("/rpc/v2/step/%d/logs/batch", step), body); code != 200 {
			t.Fatalf("batch: %d %s", code, out)
		}
	}
	batch(`[{"pos":0,"out":"first line\n","time":0},{"pos":1,"out":"second line\n","time":1}]`)

	req, _ := http.NewRequest("GET", srv.URL+"/api/stream/octo/logs/1/1/1", nil)
	req.Header.Set("Authorization", "Bearer tok")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.Header.Get("Content-Type") != "text/event-stream" || res.Header.Get("X-Accel-Buffering") != "no" {
		t.Errorf("stream headers: %v", res.Header)
	}
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if sc.Text() != "" {
				lines <- sc.Text()
			}
		}
	}()
	next := func() string {
		t.Helper()
		select {
		case l := <-lines:
			return l
		case <-time.After(5 * time.Second):
			t.Fatal("stream: nothing within 5s")
			return ""
		}
	}
	for _, want := range []string{": ping", `data: {"pos":0,"out":"first line\n","time":0}`, `data: {"pos":1,"out":"second line\n","time":1}`} {
		if got := next(); got != want {
			t.Errorf("stream: got %q, want %q", got, want)
		}
	}
	// 23 bytes stored; 12 more fit the limit of 40, the next 13 do not.
	batch(`[{"pos":2,"out":"third line\n","time":2},{"pos":3,"out":"fourth line\n","time":3}]`)
	if got, want := next(), `data: {"pos":2,"out":"third line\n","time":2}`; got != want {
		t.Errorf("live line: got %q, want %q", got, want)
	}
	rpcCall(t, srv, testRPCSecret, "PUT", fmt.Sprintf("/rpc/v2/step/%d", step), fmt.Sprintf(`{"id":%d,"step_id":%d,"status":"success","stopped":5}`, step, a))
	for _, want := range []string{"event: error", "data: eof"} {
		if got := next(); got != want {
			t.Errorf("stream end: got %q, want %q", got, want)
		}
	}
	// The upload over the limit keeps its newest lines.
	upload := `[{"pos":0,"out":"first line\n","time":0},{"pos":1,"out":"second line\n","time":1},{"pos":2,"out":"third line\n","time":2},{"pos":3,"out":"fourth line\n","time":3}]`
	if code, out := rpcCall(t, srv, testRPCSecret, "POST", fmt.Sprintf("/rpc/v2/step/%d/logs/upload", step), upload); code != 200 {
		t.Fatalf("upload: %d %s", code, out)
	}
	code, body := call(t, srv, "GET", "/api/repos/octo/logs/builds/1/logs/1/1", "tok", "")
	if want := `[{"pos":1,"out":"second line\n","time":1},{"pos":2,"out":"third line\n","time":2},{"pos":3,"out":"fourth line\n","time":3}]`; code != 200 || strings.TrimSpace(body) != want {
		t.Errorf("stored log: %d %s, want %s", code, body, want)
	}
	if code, _ := call(t, srv, "GET", "/api/repos/octo/logs/builds/1/logs/1/9", "tok", ""); code != 404 {
		t.Errorf("unknown step's log: got %d, want 404", code)
	}

	// The purge (repository admins, as in Drone) removes the stored log
	// and the live lines; the step may log again from zero.
	if code, body := call(t, srv, "DELETE", "/api/repos/octo/logs/builds/1/logs/1/1", "tok", ""); code != http.StatusNoContent {
		t.Fatalf("purge: got %d %s, want 204", code, body)
	}
	if code, _ := call(t, srv, "GET", "/api/repos/octo/logs/builds/1/logs/1/1", "tok", ""); code != 404 {
		t.Errorf("purged log: got %d, want 404", code)
	}
	if lines, err := st.ListLines(ctx, step, 0, 100); err != nil || len(lines) != 0 {
		t.Errorf("live lines after the purge: %d, %v", len(lines), err)
	}
	if code, _ := call(t, srv, "DELETE", "/api/repos/octo/logs/builds/1/logs/1/9", "tok", ""); code != 404 {
		t.Errorf("purging an unknown step's log: got %d, want 404", code)
	}
}
