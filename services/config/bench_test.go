package config

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hangar-ci/hangar/shared/httpsig"
	"github.com/hangar-ci/hangar/shared/wire"
)

// BenchmarkLookup compares a signed config lookup through the real handler
// (signature, digest, decode, lookup, access log, metrics) with a bare
// net/http handler answering a constant, both over loopback HTTP in the same
// run and sent the same pre-signed bytes. The access log is formatted and
// written to io.Discard, so its cost is counted but not the terminal's.
func BenchmarkLookup(b *testing.B) {
	body, _ := json.Marshal(request("octo/hello", "release/1.2"))
	answer, _ := json.Marshal(map[string]string{"data": sampleTree["octo/hello/release/1.2.yaml"], "kind": "yaml"})
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Write(answer)
	}))
	b.Cleanup(bare.Close)
	d, _ := newDir(b, sampleTree)
	hangar := startServiceLogging(b, d, nil, io.Discard)

	for _, tc := range []struct{ name, url string }{{"bare", bare.URL}, {"hangar", hangar}} {
		b.Run(tc.name, func(b *testing.B) {
			// Drone resends identical requests; the date window is the
			// replay bound, so one signature serves the whole run.
			proto, err := http.NewRequest(http.MethodPost, tc.url, nil)
			if err != nil {
				b.Fatal(err)
			}
			proto.Header.Set("Accept", wire.ConfigV1)
			proto.Header.Set("Accept-Encoding", "identity")
			proto.Header.Set("Content-Type", "application/json")
			if err := httpsig.Sign(proto, body, testSecret, httpsig.ExtensionHeaders, time.Now()); err != nil {
				b.Fatal(err)
			}
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				r, _ := http.NewRequest(http.MethodPost, tc.url, bytes.NewReader(body))
				r.Header = proto.Header
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
