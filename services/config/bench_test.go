package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hangar-ci/hangar/shared/httpsig"
	"github.com/hangar-ci/hangar/shared/servicetest"
	"github.com/hangar-ci/hangar/shared/wire"
)

// signedBodies returns n request bodies for distinct builds of one
// repository with their signed headers, as the Drone server sends them.
func signedBodies(b *testing.B, url string, n int) ([][]byte, []http.Header) {
	bodies, headers := make([][]byte, n), make([]http.Header, n)
	for i := range n {
		req := request("octo/hello", "release/1.2")
		req.Build.After = fmt.Sprintf("%040x", i)
		req.Build.Number = int64(i)
		bodies[i], _ = json.Marshal(req)
		r, _ := http.NewRequest(http.MethodPost, url, nil)
		r.Header.Set("Accept", wire.ConfigV1)
		r.Header.Set("Accept-Encoding", "identity")
		r.Header.Set("Content-Type", "application/json")
		if err := httpsig.Sign(r, bodies[i], testSecret, httpsig.ExtensionHeaders, time.Now()); err != nil {
			b.Fatal(err)
		}
		headers[i] = r.Header
	}
	return bodies, headers
}

// BenchmarkLookup compares a signed config lookup through the real handler
// (signature, digest, decode, lookup, access log, metrics) with a bare
// net/http handler answering a constant, over loopback HTTP in the same
// run, sent the same pre-signed bytes. "same" resends one request, as the
// Drone server does for every stage of a build; "distinct" sends a
// different build each time, so every request is decoded and looked up.
// The access log is formatted and written to io.Discard: its cost is
// counted, the terminal's is not.
func BenchmarkLookup(b *testing.B) {
	answer, _ := json.Marshal(map[string]string{"data": sampleTree["octo/hello/release/1.2.yaml"], "kind": "yaml"})
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Write(answer)
	}))
	b.Cleanup(bare.Close)
	d, _ := servicetest.Tree(b, sampleTree)
	hangar := startServiceLogging(b, d, nil, io.Discard)

	for _, tc := range []struct {
		name, url string
		n         int
	}{
		{"bare", bare.URL, 1024},
		{"hangar/same", hangar, 1},
		{"hangar/distinct", hangar, 1024},
	} {
		b.Run(tc.name, func(b *testing.B) {
			bodies, headers := signedBodies(b, tc.url, tc.n)
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
			b.ReportAllocs()
			b.ResetTimer()
			i := 0
			for b.Loop() {
				k := i % tc.n
				i++
				r, _ := http.NewRequest(http.MethodPost, tc.url, bytes.NewReader(bodies[k]))
				r.Header = headers[k]
				res, err := client.Do(r)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					b.Fatalf("status %d", res.StatusCode)
				}
			}
		})
	}
}
