package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hangar-ci/hangar/shared/sqldb"
)

// BenchmarkCoreHooks measures GitHub push hooks turned into stored builds
// per second, end to end: signed hook → core → config, convert and validate
// over loopback HTTP → build and stages in the database → commit status
// on a fake GitHub → build:created webhook. Every hook carries a new commit
// so no per-commit cache answers. The baseline runs the same core with
// each extension answered by a bare constant handler instead of the real
// services, in the same run.
func BenchmarkCoreHooks(b *testing.B) {
	constant := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/config":
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"data":"kind: pipeline\nname: default-pipeline\nsteps:\n- name: run\n  image: golang:1.22\n"}`))
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	b.Cleanup(constant.Close)
	for _, tc := range []struct {
		name    string
		dialect sqldb.Dialect
		extra   map[string]string
	}{
		{"baseline-constant-extensions/sqlite3", sqldb.SQLite, map[string]string{
			"DRONE_YAML_ENDPOINT": constant.URL + "/config", "DRONE_CONVERT_PLUGIN_ENDPOINT": constant.URL + "/convert",
			"DRONE_VALIDATE_PLUGIN_ENDPOINT": constant.URL + "/validate"}},
		{"real-extensions/sqlite3", sqldb.SQLite, nil},
		{"real-extensions/postgres", sqldb.Postgres, nil},
	} {
		b.Run(tc.name, func(b *testing.B) {
			h := startCore(b, tc.dialect, tc.extra)
			h.activate("github", "Codertocat/busy", nil)
			body := corePayload(b, "github/push.json", coreGitHubRepo("busy"))
			var seq atomic.Int64
			b.SetParallelism(8)
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					sha := fmt.Sprintf("%040x", seq.Add(1))
					res := h.postGitHub("push", bytes.ReplaceAll(body, []byte(corePushSHA), []byte(sha)), coreHookKey)
					if res.Build == nil {
						b.Errorf("no build: %d %s", res.Status, res.Body)
						return
					}
				}
			})
			elapsed := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "builds/s")
		})
	}
}
