package core

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/drone/drone-go/drone"
	"github.com/drone/runner-go/client"

	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/services/core/store"
	"github.com/hangar-ci/hangar/shared/server"
	"github.com/hangar-ci/hangar/shared/sqldb"
)

// The runner protocol's benchmarks drive the real handlers over loopback
// HTTP with runner-go's own client (v1.12.0), beside a bare handler that
// answers each call with a constant, in the same run.

var benchFilter = &client.Filter{Kind: "pipeline", Type: "exec", OS: "linux", Arch: "amd64"}

// benchRPC serves the core server over a fresh store and returns it with
// a runner-go client pointed at it.
func benchRPC(b *testing.B, d sqldb.Dialect) (*service, *store.Store, *client.HTTPClient, *model.Repo) {
	b.Helper()
	s, srv, st := serveCore(b, d, map[string]string{"HANGAR_API_TOKEN": "tok", "DRONE_RPC_SECRET": testRPCSecret})
	repo := &model.Repo{Namespace: "octo", Name: "bench", Slug: "octo/bench", SCM: "github", Active: true, Timeout: 60, Secret: "s"}
	if err := st.CreateRepo(context.Background(), repo); err != nil {
		b.Fatal(err)
	}
	return s, st, benchClient(srv.URL), repo
}

func benchClient(url string) *client.HTTPClient {
	c := client.New(url, testRPCSecret, false)
	c.Client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	return c
}

// runLifecycle runs one stage through the protocol as a runner does: request,
// accept, details, running with three steps, each step running, a log
// batch, the upload and its end, then the stage's end.
func runLifecycle(ctx context.Context, c *client.HTTPClient) error {
	stage, err := c.Request(ctx, benchFilter)
	if err != nil {
		return err
	}
	stage.Machine = "bench"
	if err := c.Accept(ctx, stage); err != nil {
		return err
	}
	if _, err := c.Detail(ctx, stage); err != nil {
		return err
	}
	for i := 1; i <= 3; i++ {
		stage.Steps = append(stage.Steps, &drone.Step{Number: i, StageID: stage.ID, Name: "step", Status: drone.StatusPending})
	}
	stage.Status, stage.Started = drone.StatusRunning, time.Now().Unix()
	if err := c.Update(ctx, stage); err != nil {
		return err
	}
	lines := []*drone.Line{{Number: 0, Message: "+ make\n"}, {Number: 1, Message: "ok\n"}}
	for _, step := range stage.Steps {
		step.Status, step.Started = drone.StatusRunning, time.Now().Unix()
		if err := c.UpdateStep(ctx, step); err != nil {
			return err
		}
		if err := c.Batch(ctx, step.ID, lines); err != nil {
			return err
		}
		if err := c.Upload(ctx, step.ID, lines); err != nil {
			return err
		}
		step.Status, step.Stopped = drone.StatusPassing, time.Now().Unix()
		if err := c.UpdateStep(ctx, step); err != nil {
			return err
		}
	}
	stage.Status, stage.Stopped = drone.StatusPassing, time.Now().Unix()
	return c.Update(ctx, stage)
}

// bareRPC answers every runner call with a constant, the floor of the
// protocol over loopback HTTP with runner-go's client.
func bareRPC(b *testing.B) *client.HTTPClient {
	stage, _ := json.Marshal(&drone.Stage{ID: 1, BuildID: 1, Number: 1, Name: "a", Status: "pending", OS: "linux", Arch: "amd64",
		Steps: []*drone.Step{{ID: 1, StageID: 1, Number: 1}, {ID: 2, StageID: 1, Number: 2}, {ID: 3, StageID: 1, Number: 3}}})
	details, _ := json.Marshal(&client.Context{Build: &drone.Build{ID: 1}, Repo: &drone.Repo{ID: 1, Timeout: 60}, Config: &client.File{Data: []byte("kind: pipeline\n")}})
	step, _ := json.Marshal(&drone.Step{ID: 1, StageID: 1, Number: 1})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodGet:
			w.Write(details)
		case r.Method == http.MethodPut && len(r.URL.Path) > len("/rpc/v2/step") && r.URL.Path[:12] == "/rpc/v2/step":
			w.Write(step)
		default:
			w.Write(stage)
		}
	}))
	b.Cleanup(srv.Close)
	return benchClient(srv.URL)
}

// lifecycles runs b.N stage lifecycles from 8 runners at once.
func lifecycles(b *testing.B, c *client.HTTPClient) {
	b.SetParallelism(8)
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := runLifecycle(context.Background(), c); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "lifecycles/s")
}

// BenchmarkStageLifecycle is the stage lifecycle throughput through the
// runner protocol (8 runners at once), each stage stored pending before.
func BenchmarkStageLifecycle(b *testing.B) {
	ctx := context.Background()
	b.Run("bare-handler", func(b *testing.B) {
		lifecycles(b, bareRPC(b))
	})
	for _, d := range []sqldb.Dialect{sqldb.SQLite, sqldb.Postgres} {
		b.Run(string(d), func(b *testing.B) {
			_, st, c, repo := benchRPC(b, d)
			var wg sync.WaitGroup
			for range b.N {
				wg.Go(func() {
					build := &model.Build{RepoID: repo.ID, Status: model.StatusPending, Event: "push", Config: "kind: pipeline\ntype: exec\nname: a\n"}
					if err := st.CreateBuild(ctx, build, []*model.Stage{{Number: 1, Name: "a", Kind: "pipeline", Type: "exec", OS: "linux", Arch: "amd64", Status: model.StatusPending}}); err != nil {
						b.Error(err)
					}
				})
			}
			wg.Wait()
			b.ResetTimer()
			lifecycles(b, c)
		})
	}
}

// BenchmarkDispatch is the latency from storing a pending stage (and
// scheduling it, as the trigger does) to a parked runner's poll returning
// it, beside a bare handler answering a poll at once.
func BenchmarkDispatch(b *testing.B) {
	ctx := context.Background()
	report := func(b *testing.B, lat []time.Duration) {
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "median-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	}
	b.Run("bare-handler", func(b *testing.B) {
		c := bareRPC(b)
		lat := make([]time.Duration, 0, b.N)
		for range b.N {
			t0 := time.Now()
			if _, err := c.Request(ctx, benchFilter); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
		}
		report(b, lat)
	})
	// postgres-cross-replica parks the poll on a second replica of the same
	// database: the wake-up travels by LISTEN/NOTIFY.
	for _, tc := range []struct {
		name  string
		d     sqldb.Dialect
		cross bool
	}{{"sqlite", sqldb.SQLite, false}, {"postgres", sqldb.Postgres, false}, {"postgres-cross-replica", sqldb.Postgres, true}} {
		d := tc.d
		b.Run(tc.name, func(b *testing.B) {
			s, st, c, repo := benchRPC(b, d)
			if tc.cross {
				c = benchClient(startReplica(b, s, st).URL)
			}
			lat := make([]time.Duration, 0, b.N)
			for range b.N {
				got := make(chan *drone.Stage, 1)
				go func() {
					stage, err := c.Request(ctx, benchFilter)
					if err != nil {
						b.Error(err)
					}
					got <- stage
				}()
				time.Sleep(2 * time.Millisecond) // the poll is parked
				t0 := time.Now()
				build := &model.Build{RepoID: repo.ID, Status: model.StatusPending, Event: "push", Config: "kind: pipeline\n"}
				stage := &model.Stage{Number: 1, Name: "a", Kind: "pipeline", Type: "exec", OS: "linux", Arch: "amd64", Status: model.StatusPending}
				if err := st.CreateBuild(ctx, build, []*model.Stage{stage}); err != nil {
					b.Fatal(err)
				}
				if err := s.trigger.sched.Schedule(ctx, stage); err != nil {
					b.Fatal(err)
				}
				if r := <-got; r == nil || r.ID != stage.ID {
					b.Fatalf("poll returned %+v, want stage %d", r, stage.ID)
				}
				lat = append(lat, time.Since(t0))
				// Take it off the queue so the next poll parks again.
				stage.Machine = "bench"
				if _, err := st.AcceptStage(ctx, stage.ID, "bench", time.Now().Unix()); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			report(b, lat)
		})
	}
}

// startReplica serves a second core server over st, with a's options, as
// another replica of the same database, once its listener is up.
func startReplica(t testing.TB, a *service, st *store.Store) *httptest.Server {
	t.Helper()
	r, err := newService(a.opts, server.Env{}, st)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.stop)
	srv := httptest.NewServer(r.service().Handler)
	t.Cleanup(srv.Close)
	for end := time.Now().Add(5 * time.Second); r.ready(context.Background()) != nil; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("replica not ready: %v", r.ready(context.Background()))
		}
	}
	return srv
}
