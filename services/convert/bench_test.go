package convert

import (
	"bytes"
	"context"
	encjson "encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/drone/drone-go/drone"
	"github.com/drone/drone-go/plugin/converter"
	"go.starlark.net/lib/json"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
	"go.starlark.net/syntax"

	"github.com/hangar-ci/hangar/shared/httpsig"
	"github.com/hangar-ci/hangar/shared/lru"
	"github.com/hangar-ci/hangar/shared/servicetest"
	"github.com/hangar-ci/hangar/shared/wire"
)

// Benchmarks go through the real handler on loopback with drone-go's
// client (signature included) unless named Render.

func benchService(b *testing.B, cacheSize, moduleCache int64) (started, *converter.Request) {
	_, rf := builtRepo(b)
	opts := testOptions()
	opts.RepoFiles = rf
	opts.CacheSize, opts.ModuleCacheSize = cacheSize, moduleCache
	s := start(b, opts, sampleConfig(b))
	return s, request(".drone.star", string(largeScript(b)), "push")
}

func convertN(b *testing.B, s started, req *converter.Request) {
	c := s.client()
	for b.Loop() {
		if _, err := c.Convert(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConvertLarge: cold is a service with no cache at all (script
// compiled, library read, //ci/lib.star fetched from the fake GitHub API,
// main run, YAML written); modules is the result cache off but compiled
// modules and fetched files kept; cached is the same request again, as
// Drone sends it for every stage.
func BenchmarkConvertLarge(b *testing.B) {
	b.Run("cold", func(b *testing.B) {
		s, req := benchService(b, 0, 0)
		convertN(b, s, req)
	})
	b.Run("modules", func(b *testing.B) {
		s, req := benchService(b, 0, DefaultModuleCache)
		convertN(b, s, req)
	})
	b.Run("cached", func(b *testing.B) {
		s, req := benchService(b, DefaultCacheSize, DefaultModuleCache)
		convertN(b, s, req)
	})
}

// BenchmarkConvertCachedSpeedup reports how many times faster a cached
// conversion is than a cold one, both timed in the same run over HTTP.
func BenchmarkConvertCachedSpeedup(b *testing.B) {
	cold, req := benchService(b, 0, 0)
	warm, _ := benchService(b, DefaultCacheSize, DefaultModuleCache)
	cc, wc := cold.client(), warm.client()
	var coldT, warmT time.Duration
	var coldN, warmN int
	for b.Loop() {
		t0 := time.Now()
		if _, err := cc.Convert(context.Background(), req); err != nil {
			b.Fatal(err)
		}
		coldT += time.Since(t0)
		coldN++
		for range 20 {
			t0 = time.Now()
			if _, err := wc.Convert(context.Background(), req); err != nil {
				b.Fatal(err)
			}
			warmT += time.Since(t0)
			warmN++
		}
	}
	b.ReportMetric(float64(coldT)/float64(coldN)/1e3, "cold-µs/op")
	b.ReportMetric(float64(warmT)/float64(warmN)/1e3, "cached-µs/op")
	b.ReportMetric((float64(coldT)/float64(coldN))/(float64(warmT)/float64(warmN)), "speedup-x")
}

// BenchmarkRenderLarge is the conversion without HTTP: cold (no caches)
// against a hit of the result cache as the handler does it (key hash,
// lookup, generation check).
func BenchmarkRenderLarge(b *testing.B) {
	_, rf := builtRepo(b)
	in := largeInput(b, "push", rf)
	b.Run("cold", func(b *testing.B) {
		for b.Loop() {
			if _, err := render(context.Background(), in, engine{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		c := resultCache{lru.New[string, *cached](0, DefaultCacheSize)}
		gen, ok := generation(in.Config)
		r, err := render(context.Background(), in, engine{})
		if err != nil {
			b.Fatal(err)
		}
		c.put(cacheKey(in), r, []byte(r.yaml), gen, ok)
		for b.Loop() {
			if _, ok := c.get(context.Background(), cacheKey(in), in.Config); !ok {
				b.Fatal("miss")
			}
		}
	})
}

var loadStmt = regexp.MustCompile(`(?ms)^load\(.*?\)\n`)

// bundle inlines the library and //ci/lib.star into one load-free file,
// the only form Drone's own converter can run (it refuses load()).
func bundle(b *testing.B) []byte {
	var out strings.Builder
	for _, f := range []string{"../../config-repo/_hangar/lib/steps.star", "../../config-repo/_hangar/lib/go.star", "testdata/repo/ci/lib.star", "testdata/repo/.drone.star"} {
		src, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		out.WriteString(loadStmt.ReplaceAllString("\n"+string(src), "\n"))
	}
	return []byte(out.String())
}

// BenchmarkDroneBaseline compares Render with what Drone v1.10.1's
// Starlark converter does on the same load-free file: ExecFile, call main
// with a ctx struct, write each pipeline as JSON. The three are
// interleaved in one loop so a busy machine skews them alike; the metrics
// are microseconds per conversion and the ratio to Drone's. hangar-cold
// compiles every time as Drone does; hangar-modules keeps compiled
// programs, as the service does. (Drone's own package,
// github.com/drone/drone v1.10.1 plugin/converter/starlark, does not
// resolve from the module proxy: its go.mod requires github.com/h2non/gock,
// which declares itself gopkg.in/h2non/gock.v1, and docker.io/go-docker
// answers 403.)
func BenchmarkDroneBaseline(b *testing.B) {
	src := bundle(b)
	in := largeInput(b, "push", nil)
	in.Script, in.Config = src, nil
	encode := json.Module.Members["encode"]
	drone := func() {
		thread := &starlark.Thread{Name: "drone"}
		thread.SetMaxExecutionSteps(DefaultStepLimit)
		globals, err := starlark.ExecFileOptions(&syntax.FileOptions{}, thread, ".drone.star", src, starlark.StringDict{"json": json.Module, "struct": starlark.NewBuiltin("struct", starlarkstruct.Make)})
		if err != nil {
			b.Fatal(err)
		}
		v, err := starlark.Call(thread, globals["main"], starlark.Tuple{contextValue(in)}, nil)
		if err != nil {
			b.Fatal(err)
		}
		var buf strings.Builder
		for i := range v.(*starlark.List).Len() {
			j, err := starlark.Call(thread, encode, starlark.Tuple{v.(*starlark.List).Index(i)}, nil)
			if err != nil {
				b.Fatal(err)
			}
			buf.WriteString("---\n")
			buf.WriteString(string(j.(starlark.String)))
			buf.WriteString("\n")
		}
	}
	mods := newModuleCache(DefaultModuleCache)
	var t [3]time.Duration
	for b.Loop() {
		for i, f := range []func(){
			drone,
			func() {
				if _, err := render(context.Background(), in, engine{}); err != nil {
					b.Fatal(err)
				}
			},
			func() {
				if _, err := render(context.Background(), in, engine{mods: mods}); err != nil {
					b.Fatal(err)
				}
			},
		} {
			t0 := time.Now()
			f()
			t[i] += time.Since(t0)
		}
	}
	n := float64(b.N) * 1e3
	b.ReportMetric(float64(t[0])/n, "drone-µs/op")
	b.ReportMetric(float64(t[1])/n, "hangar-cold-µs/op")
	b.ReportMetric(float64(t[2])/n, "hangar-modules-µs/op")
	b.ReportMetric(float64(t[1])/float64(t[0]), "cold/drone")
	b.ReportMetric(float64(t[2])/float64(t[0]), "modules/drone")
}

// BenchmarkTransportFloor is the baseline for cached conversions: a bare
// handler behind the same signature check that decodes the same request
// and answers a constant of the same size. Drone resends the whole script
// in every request, so this is the least any converter's answer costs.
func BenchmarkTransportFloor(b *testing.B) {
	golden, err := os.ReadFile("testdata/golden/push.yaml")
	if err != nil {
		b.Fatal(err)
	}
	answer, _ := encjson.Marshal(drone.Config{Data: string(golden)})
	v, err := httpsig.NewVerifier(testSecret)
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req converter.Request
		if err := wire.Decode(r, &req); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(answer)
	})))
	b.Cleanup(ts.Close)
	convertN(b, started{url: ts.URL}, request(".drone.star", string(largeScript(b)), "push"))
}

// handlerService is the real handler of a service without a listener.
func handlerService(b *testing.B, cache, mods int64) http.Handler {
	_, rf := builtRepo(b)
	opts := testOptions()
	opts.RepoFiles = rf
	opts.CacheSize, opts.ModuleCacheSize = cache, mods
	env := servicetest.Env(sampleConfig(b), nil)
	svc, err := New(opts, env)
	if err != nil {
		b.Fatal(err)
	}
	return svc.Handler
}

// signedHeaders are the headers drone-go sends with body, signed once:
// signing is the client's work, and the date stays within the skew for
// the benchmark's duration.
func signedHeaders(b *testing.B, body []byte) http.Header {
	r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	r.Header.Set("Accept", converter.V1)
	r.Header.Set("Accept-Encoding", "identity")
	r.Header.Set("Content-Type", "application/json")
	if err := httpsig.Sign(r, body, testSecret, httpsig.ExtensionHeaders, time.Now()); err != nil {
		b.Fatal(err)
	}
	return r.Header
}

// serveSigned sends body with its signed headers to h.
func serveSigned(b *testing.B, h http.Handler, body []byte, hdr http.Header) {
	r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	r.Header = hdr.Clone()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		b.Fatalf("got %d %s", w.Code, w.Body)
	}
}

// BenchmarkHandlerLarge is the server's share of a request: the real
// handler (signature check, decoding, conversion or cache) called without
// a network or client; the speedup is measured interleaved, as above.
func BenchmarkHandlerLarge(b *testing.B) {
	body, err := encjson.Marshal(request(".drone.star", string(largeScript(b)), "push"))
	if err != nil {
		b.Fatal(err)
	}
	hdr := signedHeaders(b, body)
	cold, warm := handlerService(b, 0, 0), handlerService(b, DefaultCacheSize, DefaultModuleCache)
	var coldT, warmT time.Duration
	var coldN, warmN int
	for b.Loop() {
		t0 := time.Now()
		serveSigned(b, cold, body, hdr)
		coldT += time.Since(t0)
		coldN++
		for range 50 {
			t0 = time.Now()
			serveSigned(b, warm, body, hdr)
			warmT += time.Since(t0)
			warmN++
		}
	}
	b.ReportMetric(float64(coldT)/float64(coldN)/1e3, "cold-µs/op")
	b.ReportMetric(float64(warmT)/float64(warmN)/1e3, "cached-µs/op")
	b.ReportMetric((float64(coldT)/float64(coldN))/(float64(warmT)/float64(warmN)), "speedup-x")
}
