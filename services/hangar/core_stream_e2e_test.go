package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hangar-ci/hangar/shared/wire"
)

// TestCoreEventStream listens to Drone's global event stream (GET
// /api/stream) on both databases while a push creates a build and a
// runner's report starts it: each change arrives as the repository with
// the build embedded.
func TestCoreEventStream(t *testing.T) {
	t.Parallel()
	for _, d := range coreDialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			h := startCore(t, d, nil)
			h.activate("github", "Codertocat/dag", nil)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, h.URL+"/api/stream", nil)
			req.Header.Set("Authorization", "Bearer "+coreToken)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/event-stream" {
				t.Fatalf("stream: got %d %s, want 200 text/event-stream", res.StatusCode, res.Header.Get("Content-Type"))
			}
			msgs := make(chan wire.Repository, 16)
			go func() {
				sc := bufio.NewScanner(res.Body)
				for sc.Scan() {
					if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
						var m wire.Repository
						if json.Unmarshal([]byte(data), &m) == nil {
							msgs <- m
						}
					}
				}
				close(msgs)
			}()
			// waitMsg waits for the build's message with that status.
			waitMsg := func(number int64, status string) {
				t.Helper()
				for {
					select {
					case m, ok := <-msgs:
						if !ok {
							t.Fatalf("stream ended before build #%d %s", number, status)
						}
						if m.Slug == "Codertocat/dag" && m.Build != nil && m.Build.Number == number && m.Build.Status == status {
							return
						}
					case <-ctx.Done():
						t.Fatalf("no message for build #%d %s", number, status)
					}
				}
			}
			res2 := h.postGitHub("push", corePayload(t, "github/push.json", coreGitHubRepo("dag")), coreHookKey)
			if res2.Build == nil {
				t.Fatalf("push: got %d %s, want a build", res2.Status, res2.Body)
			}
			waitMsg(res2.Build.Number, "pending")
			if code := h.api(http.MethodPut, fmt.Sprintf("/repos/Codertocat/dag/builds/%d/stages/1", res2.Build.Number), map[string]any{"status": "running"}, nil); code != http.StatusOK {
				t.Fatalf("report: got %d", code)
			}
			waitMsg(res2.Build.Number, "running")

			for _, c := range []struct {
				query string
				want  int
			}{{"?access_token=wrong", http.StatusUnauthorized}, {"?access_token=" + coreToken, http.StatusOK}} {
				r, err := http.Get(h.URL + "/api/stream" + c.query)
				if err != nil {
					t.Fatal(err)
				}
				r.Body.Close()
				if r.StatusCode != c.want {
					t.Errorf("stream with %q: got %d, want %d", strings.Replace(c.query, coreToken, "<token>", 1), r.StatusCode, c.want)
				}
			}
			// An anonymous listener is let in, as Drone does, and sees only
			// public repositories: nothing of the private Codertocat/dag.
			actx, acancel := context.WithTimeout(ctx, 4*time.Second)
			defer acancel()
			areq, _ := http.NewRequestWithContext(actx, http.MethodGet, h.URL+"/api/stream", nil)
			ares, err := http.DefaultClient.Do(areq)
			if err != nil {
				t.Fatal(err)
			}
			defer ares.Body.Close()
			if ares.StatusCode != http.StatusOK {
				t.Fatalf("anonymous stream: got %d, want 200", ares.StatusCode)
			}
			go func() {
				time.Sleep(500 * time.Millisecond)
				h.api(http.MethodPut, fmt.Sprintf("/repos/Codertocat/dag/builds/%d/stages/1", res2.Build.Number), map[string]any{"status": "success"}, nil)
			}()
			waitMsg(res2.Build.Number, "running") // the token listener hears the report
			sc := bufio.NewScanner(ares.Body)
			for sc.Scan() {
				if strings.HasPrefix(sc.Text(), "data: ") {
					t.Errorf("anonymous listener got %s, want nothing of a private repository", sc.Text())
				}
			}
		})
	}
}
