package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/drone/drone-go/drone"

	"github.com/hangar-ci/hangar/shared/httpsig"
	"github.com/hangar-ci/hangar/shared/msgsig"
	"github.com/hangar-ci/hangar/shared/wire"
)

// BenchmarkWoodpeckerConfig compares, in one run and over loopback HTTP
// into one `hangar all`, a Woodpecker config lookup (RFC 9421 Ed25519
// verification, decode, Hangar's own Drone config endpoint called over
// loopback, marked answer) with a Drone config lookup of the same build
// (HMAC signature, lookup) and with a bare net/http handler answering a
// constant. Each request is a different build (Woodpecker asks once per
// pipeline), signed before the timer starts; the created window is
// widened so the pre-signed requests stay valid for the run.
func BenchmarkWoodpeckerConfig(b *testing.B) {
	h := startWoodpecker(b, false, false, map[string]string{"HANGAR_WOODPECKER_SIGNATURE_PAST": "1h"})
	answer, _ := json.Marshal(map[string]any{"configs": []map[string]string{{"name": "hangar.yaml", "data": wpRepo["octo/hello/default.yaml"]}}})
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Write(answer)
	}))
	b.Cleanup(bare.Close)
	const n = 1024
	woodpecker := func(url string) ([][]byte, []http.Header) {
		bodies, headers := make([][]byte, n), make([]http.Header, n)
		for i := range n {
			p := push("main")
			p["commit"], p["number"] = fmt.Sprintf("%040x", i), i
			bodies[i] = wpBody("octo/hello", p)
			r, _ := http.NewRequest(http.MethodPost, url, nil)
			r.Header.Set("Content-Type", "application/json")
			if err := msgsig.Sign(r, bodies[i], h.Key, time.Now()); err != nil {
				b.Fatal(err)
			}
			headers[i] = r.Header
		}
		return bodies, headers
	}
	droneSigned := func(url string) ([][]byte, []http.Header) {
		bodies, headers := make([][]byte, n), make([]http.Header, n)
		for i := range n {
			bodies[i], _ = json.Marshal(subjectFor(i))
			r, _ := http.NewRequest(http.MethodPost, url, nil)
			r.Header.Set("Accept", wire.ConfigV1)
			r.Header.Set("Accept-Encoding", "identity")
			r.Header.Set("Content-Type", "application/json")
			if err := httpsig.Sign(r, bodies[i], wpSecret, httpsig.ExtensionHeaders, time.Now()); err != nil {
				b.Fatal(err)
			}
			headers[i] = r.Header
		}
		return bodies, headers
	}
	for _, tc := range []struct {
		name, url string
		sign      func(string) ([][]byte, []http.Header)
	}{
		{"bare", bare.URL, woodpecker},
		{"drone", h.URL + "/config", droneSigned},
		{"woodpecker", h.URL + "/woodpecker/config", woodpecker},
	} {
		b.Run(tc.name, func(b *testing.B) {
			bodies, headers := tc.sign(tc.url)
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
			b.ReportAllocs()
			b.ResetTimer()
			i := 0
			for b.Loop() {
				k := i % n
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

// subjectFor is the Drone request for the build the Woodpecker bodies
// describe, commit i.
func subjectFor(i int) any {
	return struct {
		Repo  drone.Repo  `json:"repo"`
		Build drone.Build `json:"build"`
	}{
		drone.Repo{Namespace: "octo", Name: "hello", Slug: "octo/hello", Branch: "main", Private: true, Active: true},
		drone.Build{Number: int64(i), Event: "push", Ref: "refs/heads/main", After: fmt.Sprintf("%040x", i), Target: "main", Source: "main", Fork: "octo/hello", Message: "a change", Author: "octocat"},
	}
}
