package core

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/services/core/store"
	"github.com/hangar-ci/hangar/shared/server"
	"github.com/hangar-ci/hangar/shared/sqldb"
)

const testRPCSecret = "rpc-secret"

// serveCore serves the core server configured by env over a fresh store
// of the dialect.
func serveCore(t testing.TB, d sqldb.Dialect, env map[string]string) (*service, *httptest.Server, *store.Store) {
	t.Helper()
	st, err := store.New(context.Background(), sqldb.TestDB(t, d))
	if err != nil {
		t.Fatal(err)
	}
	opts, err := OptionsFromEnv(func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok && v != ""
	}, "")
	if err != nil {
		t.Fatal(err)
	}
	s, err := newService(opts, server.Env{}, st)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.stop) // ends the PostgreSQL listener before the database closes
	srv := httptest.NewServer(s.service().Handler)
	t.Cleanup(srv.Close)
	return s, srv, st
}

// newRPC serves the core server with the runner protocol open (secret
// set) over a fresh store of the dialect.
func newRPC(t *testing.T, d sqldb.Dialect, secret string) (*httptest.Server, *store.Store) {
	t.Helper()
	_, srv, st := serveCore(t, d, map[string]string{"HANGAR_API_TOKEN": "tok", "DRONE_RPC_SECRET": secret})
	return srv, st
}

// rpcBuild stores a build of two stages (the second waiting on the first)
// with its YAML.
func rpcBuild(t testing.TB, st *store.Store, repo *model.Repo) (*model.Build, []*model.Stage) {
	t.Helper()
	b := &model.Build{RepoID: repo.ID, Status: model.StatusPending, Event: "push", Config: "kind: pipeline\nname: a\n"}
	stages := []*model.Stage{
		{Number: 1, Name: "a", Kind: "pipeline", Type: "exec", OS: "linux", Arch: "amd64", Status: model.StatusPending, OnSuccess: true},
		{Number: 2, Name: "b", Kind: "pipeline", Type: "exec", OS: "linux", Arch: "amd64", Status: model.StatusWaiting, DependsOn: []string{"a"}, OnSuccess: true},
	}
	if err := st.CreateBuild(context.Background(), b, stages); err != nil {
		t.Fatal(err)
	}
	return b, stages
}

func rpcCall(t testing.TB, srv *httptest.Server, token, method, path, body string) (int, string) {
	t.Helper()
	hdr := http.Header{}
	if token != "" {
		hdr.Set("X-Drone-Token", token)
	}
	return send(t, srv, method, path, hdr, body)
}

// send makes one request with the headers and returns status and body.
func send(t testing.TB, srv *httptest.Server, method, path string, hdr http.Header, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	req.Header = hdr
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestRPCBadInput sends bad input to every path of the runner protocol:
// each gets its 4xx, and nothing of the stages and steps changes.
func TestRPCBadInput(t *testing.T) {
	t.Parallel()
	for _, d := range []sqldb.Dialect{sqldb.SQLite, sqldb.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			srv, st := newRPC(t, d, testRPCSecret)
			ctx := context.Background()
			repo := &model.Repo{Namespace: "octo", Name: "rpc", Slug: "octo/rpc", SCM: "github", Active: true, Private: true, Visibility: "private", Timeout: 60, Secret: "s"}
			if err := st.CreateRepo(ctx, repo); err != nil {
				t.Fatal(err)
			}
			_, one := rpcBuild(t, st, repo)
			_, two := rpcBuild(t, st, repo)
			// Runner m1 holds stage a of build one, m2 stage a of build two;
			// each has started its stage with one step.
			var steps [2]int64
			for i, s := range []*model.Stage{one[0], two[0]} {
				machine := fmt.Sprintf("m%d", i+1)
				if code, body := rpcCall(t, srv, testRPCSecret, "POST", fmt.Sprintf("/rpc/v2/stage/%d?machine=%s", s.ID, machine), ""); code != 200 {
					t.Fatalf("accept: %d %s", code, body)
				}
				up := fmt.Sprintf(`{"id":%d,"machine":%q,"status":"running","started":1,"steps":[{"number":1,"step_id":%d,"name":"s","status":"running","started":1}]}`, s.ID, machine, s.ID)
				code, body := rpcCall(t, srv, testRPCSecret, "PUT", fmt.Sprintf("/rpc/v2/stage/%d", s.ID), up)
				var echo struct {
					Steps []struct{ ID int64 } `json:"steps"`
				}
				if code != 200 || json.Unmarshal([]byte(body), &echo) != nil || len(echo.Steps) != 1 || echo.Steps[0].ID == 0 {
					t.Fatalf("stage update: %d %s, want the step's id echoed", code, body)
				}
				steps[i] = echo.Steps[0].ID
			}
			snapshot := func() string {
				var out []any
				for _, s := range append(one, two...) {
					got, err := st.FindStage(ctx, s.ID)
					if err != nil {
						t.Fatal(err)
					}
					out = append(out, got)
				}
				for _, id := range steps {
					got, err := st.FindStep(ctx, id)
					if err != nil {
						t.Fatal(err)
					}
					out = append(out, got)
				}
				b, _ := json.Marshal(out)
				return string(b)
			}
			before := snapshot()
			a1, b1, a2, step1 := one[0].ID, one[1].ID, two[0].ID, steps[0]
			tests := []struct {
				name, token, method, path, body string
				want                            int
			}{
				{"no token", "", "POST", "/rpc/v2/ping", "", 401},
				{"wrong token", "nope", "POST", "/rpc/v2/ping", "", 401},
				{"no token on a stage update", "", "PUT", fmt.Sprintf("/rpc/v2/stage/%d", a1), `{"status":"success"}`, 401},
				{"request: malformed filter", testRPCSecret, "POST", "/rpc/v2/stage", "{", 400},
				{"accept: id not a number", testRPCSecret, "POST", "/rpc/v2/stage/abc?machine=x", "", 400},
				{"accept: id zero", testRPCSecret, "POST", "/rpc/v2/stage/0?machine=x", "", 400},
				{"accept: unknown stage", testRPCSecret, "POST", "/rpc/v2/stage/999999?machine=x", "", 404},
				{"accept: no machine", testRPCSecret, "POST", fmt.Sprintf("/rpc/v2/stage/%d", b1), "", 400},
				{"accept: held by another runner", testRPCSecret, "POST", fmt.Sprintf("/rpc/v2/stage/%d?machine=m9", a1), "", 409},
				{"accept: waiting on dependencies", testRPCSecret, "POST", fmt.Sprintf("/rpc/v2/stage/%d?machine=m9", b1), "", 409},
				{"details: unknown stage", testRPCSecret, "GET", "/rpc/v2/stage/999999", "", 404},
				{"details: stage nobody accepted", testRPCSecret, "GET", fmt.Sprintf("/rpc/v2/stage/%d", b1), "", 409},
				{"stage update: malformed", testRPCSecret, "PUT", fmt.Sprintf("/rpc/v2/stage/%d", a1), "[", 400},
				{"stage update: unknown status", testRPCSecret, "PUT", fmt.Sprintf("/rpc/v2/stage/%d", a1), `{"status":"bogus"}`, 400},
				{"stage update: other runner", testRPCSecret, "PUT", fmt.Sprintf("/rpc/v2/stage/%d", a1), `{"status":"success","machine":"m2"}`, 409},
				{"stage update: body of another stage", testRPCSecret, "PUT", fmt.Sprintf("/rpc/v2/stage/%d", a1), fmt.Sprintf(`{"id":%d,"status":"success"}`, a2), 400},
				{"stage update: step of another stage", testRPCSecret, "PUT", fmt.Sprintf("/rpc/v2/stage/%d", a1), fmt.Sprintf(`{"status":"success","steps":[{"number":1,"step_id":%d,"status":"success"}]}`, a2), 400},
				{"stage update: step without number", testRPCSecret, "PUT", fmt.Sprintf("/rpc/v2/stage/%d", a1), fmt.Sprintf(`{"status":"success","steps":[{"step_id":%d,"status":"success"}]}`, a1), 400},
				{"stage update: unknown stage", testRPCSecret, "PUT", "/rpc/v2/stage/999999", `{"status":"running"}`, 404},
				{"stage update: stage nobody accepted", testRPCSecret, "PUT", fmt.Sprintf("/rpc/v2/stage/%d", b1), `{"status":"running"}`, 409},
				{"step update: unknown step", testRPCSecret, "PUT", "/rpc/v2/step/999999", fmt.Sprintf(`{"status":"success","step_id":%d}`, a1), 404},
				{"step update: malformed", testRPCSecret, "PUT", fmt.Sprintf("/rpc/v2/step/%d", step1), "{", 400},
				{"step update: stage of another build", testRPCSecret, "PUT", fmt.Sprintf("/rpc/v2/step/%d", step1), fmt.Sprintf(`{"status":"success","step_id":%d}`, a2), 409},
				{"step update: unknown status", testRPCSecret, "PUT", fmt.Sprintf("/rpc/v2/step/%d", step1), fmt.Sprintf(`{"status":"weird","step_id":%d}`, a1), 400},
				{"batch: malformed", testRPCSecret, "POST", fmt.Sprintf("/rpc/v2/step/%d/logs/batch", step1), "lines", 400},
				{"batch: unknown step", testRPCSecret, "POST", "/rpc/v2/step/999999/logs/batch", `[{"pos":0,"out":"x"}]`, 404},
				{"upload: not a JSON array", testRPCSecret, "POST", fmt.Sprintf("/rpc/v2/step/%d/logs/upload", step1), "plain text", 400},
				{"upload: unknown step", testRPCSecret, "POST", "/rpc/v2/step/999999/logs/upload", "[]", 404},
				{"watch: unknown build", testRPCSecret, "POST", "/rpc/v2/build/999999/watch", "", 404},
				{"watch: id not a number", testRPCSecret, "POST", "/rpc/v2/build/x/watch", "", 400},
			}
			for _, tt := range tests {
				code, body := rpcCall(t, srv, tt.token, tt.method, tt.path, tt.body)
				if code != tt.want {
					t.Errorf("%s: got %d %s, want %d", tt.name, code, body, tt.want)
				}
			}
			if diff := cmp.Diff(before, snapshot()); diff != "" {
				t.Errorf("bad input changed stages or steps (-before +after):\n%s", diff)
			}
			// A build stored without its YAML cannot run: its stage ends in
			// error instead of being offered again and again.
			old := &model.Build{RepoID: repo.ID, Status: model.StatusPending, Event: "push"}
			oldStage := &model.Stage{Number: 1, Name: "a", Status: model.StatusPending}
			if err := st.CreateBuild(ctx, old, []*model.Stage{oldStage}); err != nil {
				t.Fatal(err)
			}
			rpcCall(t, srv, testRPCSecret, "POST", fmt.Sprintf("/rpc/v2/stage/%d?machine=m3", oldStage.ID), "")
			if code, body := rpcCall(t, srv, testRPCSecret, "GET", fmt.Sprintf("/rpc/v2/stage/%d", oldStage.ID), ""); code != 404 {
				t.Errorf("details without a stored configuration: got %d %s, want 404", code, body)
			}
			if got, _ := st.FindStage(ctx, oldStage.ID); got.Status != model.StatusError {
				t.Errorf("stage without configuration: got %s, want error", got.Status)
			}
			if code, body := rpcCall(t, srv, testRPCSecret, "GET", "/api/repos/octo/rpc/builds/1/logs/1/1", ""); code != 401 {
				t.Errorf("the RPC token opened the API: %d %s", code, body)
			}
		})
	}
	t.Run("no secret configured", func(t *testing.T) {
		t.Parallel()
		srv, _ := newRPC(t, sqldb.SQLite, "")
		if code, _ := rpcCall(t, srv, "anything", "POST", "/rpc/v2/ping", ""); code != 403 {
			t.Errorf("ping with the protocol closed: got %d, want 403", code)
		}
	})
}

// TestRunnerGoV112 runs one stage through the protocol with runner-go
// v1.12.0's own client (what drone-runner-docker and -kube use; the e2e
// tests run exec's v1.3.1): the stage, its three steps and their logs are
// stored and the build completes.
func TestRunnerGoV112(t *testing.T) {
	t.Parallel()
	for _, d := range []sqldb.Dialect{sqldb.SQLite, sqldb.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			_, srv, st := serveCore(t, d, map[string]string{"DRONE_RPC_SECRET": testRPCSecret})
			repo := &model.Repo{Namespace: "octo", Name: "v112", Slug: "octo/v112", SCM: "github", Active: true, Secret: "s"}
			if err := st.CreateRepo(ctx, repo); err != nil {
				t.Fatal(err)
			}
			b := &model.Build{RepoID: repo.ID, Status: model.StatusPending, Event: "push", Config: "kind: pipeline\ntype: exec\nname: a\n"}
			stage := &model.Stage{Number: 1, Name: "a", Kind: "pipeline", Type: "exec", OS: "linux", Arch: "amd64", Status: model.StatusPending}
			if err := st.CreateBuild(ctx, b, []*model.Stage{stage}); err != nil {
				t.Fatal(err)
			}
			if err := runLifecycle(ctx, benchClient(srv.URL)); err != nil {
				t.Fatal(err)
			}
			got, _ := st.FindBuildID(ctx, b.ID)
			steps, _ := st.ListSteps(ctx, b.ID)
			if got.Status != model.StatusPassing || len(steps) != 3 {
				t.Fatalf("build %s with %d steps, want success with 3", got.Status, len(steps))
			}
			for _, p := range steps {
				data, err := st.FindLog(ctx, p.ID)
				if p.Status != model.StatusPassing || err != nil || !strings.Contains(string(data), `"out":"ok\n"`) {
					t.Errorf("step %d: %s, log %s %v", p.Number, p.Status, data, err)
				}
			}
		})
	}
}
