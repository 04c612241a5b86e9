package webhook

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hangar-ci/hangar/shared/envconf"
	"github.com/hangar-ci/hangar/shared/httpsig"
	"github.com/hangar-ci/hangar/shared/server"
	"github.com/hangar-ci/hangar/shared/servicetest"
	"github.com/hangar-ci/hangar/shared/sqldb"
	"github.com/hangar-ci/hangar/shared/tree"
	"github.com/hangar-ci/hangar/shared/wire"
)

// BenchmarkIntake sends signed build events, each a new one, over loopback
// HTTP to:
//   - verify-only: the same server stack (request id, access log, metrics)
//     with a handler that only checks the signature and answers 204 — the
//     baseline;
//   - sqlite: the real intake, event committed to SQLite before the answer;
//   - sqlite+delivery: the same with a sink configured, so each event also
//     stores a delivery and the worker delivers beside the intake.
//
// It reports events/s and the p50/p99 latency of one request.
func BenchmarkIntake(b *testing.B) {
	sinkSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	b.Cleanup(sinkSrv.Close)
	cases := []struct {
		name string
		url  func(b *testing.B) string
	}{
		{"verify-only", func(b *testing.B) string {
			env := benchEnv(b, "sinks: []\n")
			v, err := httpsig.NewVerifier(testSecret)
			if err != nil {
				b.Fatal(err)
			}
			mux := http.NewServeMux()
			mux.Handle("/{$}", v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusNoContent)
			})))
			return serveBench(b, env, &server.Service{Name: Name, Handler: mux})
		}},
		{"sqlite", func(b *testing.B) string { return benchService(b, "sinks: []\n") }},
		{"sqlite+delivery", func(b *testing.B) string {
			return benchService(b, "sinks:\n"+httpSinkYAML("bench", sinkSrv.URL, ""))
		}},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			url := tc.url(b)
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
			lat := make([]time.Duration, 0, 1<<16)
			version := int64(0)
			b.ReportAllocs()
			start := time.Now()
			for b.Loop() {
				version++
				body, _ := json.Marshal(buildEvent(wire.ActionUpdated, 1+version/10, "running", version))
				req := droneRequest(b, url+"/", body, wire.EventBuild, testSecret, time.Now())
				t0 := time.Now()
				res, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				lat = append(lat, time.Since(t0))
				if res.StatusCode >= 300 {
					b.Fatalf("status %d", res.StatusCode)
				}
			}
			elapsed := time.Since(start)
			slices.Sort(lat)
			b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "events/s")
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}

// BenchmarkIntakeParallel is the real SQLite intake under 8 concurrent
// senders (the Drone server sends from one goroutine per build), beside
// the verify-only baseline under the same load.
func BenchmarkIntakeParallel(b *testing.B) {
	cases := []struct {
		name string
		url  func(b *testing.B) string
	}{
		{"verify-only", func(b *testing.B) string {
			v, _ := httpsig.NewVerifier(testSecret)
			mux := http.NewServeMux()
			mux.Handle("/{$}", v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusNoContent)
			})))
			return serveBench(b, benchEnv(b, "sinks: []\n"), &server.Service{Name: Name, Handler: mux})
		}},
		{"sqlite", func(b *testing.B) string { return benchService(b, "sinks: []\n") }},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			url := tc.url(b)
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
			var mu sync.Mutex
			var lat []time.Duration
			var next atomic.Int64
			b.SetParallelism(4) // 8 senders on 2 cores
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				var mine []time.Duration
				for pb.Next() {
					v := next.Add(1)
					body, _ := json.Marshal(buildEvent(wire.ActionUpdated, 1+v/10, "running", v))
					req := droneRequest(b, url+"/", body, wire.EventBuild, testSecret, time.Now())
					t0 := time.Now()
					res, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
					mine = append(mine, time.Since(t0))
					if res.StatusCode >= 300 {
						b.Errorf("status %d", res.StatusCode)
						return
					}
				}
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			})
			elapsed := time.Since(start)
			slices.Sort(lat)
			b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "events/s")
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}

func benchEnv(b *testing.B, sinks string) server.Env {
	root := b.TempDir()
	writeSinks(b, root, sinks)
	logger := server.NewLogger(io.Discard, false)
	dir, err := tree.NewDir(root, logger)
	if err != nil {
		b.Fatal(err)
	}
	env := server.NewEnv(logger)
	env.Repo = dir
	return env
}

// benchService runs the real service on a fresh SQLite database.
func benchService(b *testing.B, sinks string) string {
	env := benchEnv(b, sinks)
	svc, err := New(Options{
		Signature: httpsig.Settings{Secret: testSecret, Skew: time.Minute, MaxBody: 1 << 20}, DB: sqldb.TestDB(b, sqldb.SQLite),
		Poll: time.Second, Lookup: envconf.Map(map[string]string{"SINK_SECRET": sinkSecret}),
	}, env)
	if err != nil {
		b.Fatal(err)
	}
	return serveBench(b, env, svc)
}

func serveBench(b *testing.B, env server.Env, svc *server.Service) string {
	return servicetest.Start(b, svc, env)
}
