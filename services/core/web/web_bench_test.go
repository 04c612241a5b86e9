package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkPages serves the build page's shell and its script over real
// HTTP on loopback, beside a handler that writes the same page as a
// constant: the template's cost is the difference.
func BenchmarkPages(b *testing.B) {
	h := New(Options{})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/octo/hello/12", nil))
	constant := rec.Body.Bytes()
	cases := []struct {
		name    string
		handler http.Handler
		path    string
		gzip    bool
	}{
		{"baseline-constant-page", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write(constant)
		}), "/octo/hello/12", false},
		{"build-page", h, "/octo/hello/12", false},
		{"build-script-gzip", h, h.assetURL("build.js"), true},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			srv := httptest.NewServer(c.handler)
			defer srv.Close()
			client := srv.Client()
			req, _ := http.NewRequest("GET", srv.URL+c.path, nil)
			if c.gzip {
				// Set by hand, the transport leaves the body compressed.
				req.Header.Set("Accept-Encoding", "gzip")
			}
			b.ResetTimer()
			for b.Loop() {
				res, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				n, _ := io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK || n == 0 {
					b.Fatalf("got %d with %d bytes", res.StatusCode, n)
				}
				b.SetBytes(n)
			}
		})
	}
}
