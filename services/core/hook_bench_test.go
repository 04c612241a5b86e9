package core

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/shared/scmhook"
)

// BenchmarkHookAuth measures the signature check alone (an issues event,
// answered 204 once verified) for Drone's /hook, which tries every
// repository's secret, beside /hook?repo=, which tries one.
func BenchmarkHookAuth(b *testing.B) {
	body := readPayload(b, "github/octokit/issues.opened.1.json")
	for _, repos := range []int{1, 100, 1000} {
		srv, st := newCore(b, nil)
		for i := range repos {
			r := &model.Repo{Namespace: "octo", Name: fmt.Sprintf("r%d", i), Slug: fmt.Sprintf("octo/r%d", i), SCM: "github", Active: true, Secret: fmt.Sprintf("secret-%d", i)}
			if err := st.CreateRepo(context.Background(), r); err != nil {
				b.Fatal(err)
			}
		}
		last := fmt.Sprintf("secret-%d", repos-1) // the worst case for /hook
		for _, path := range []string{"/hook", fmt.Sprintf("/hook?repo=octo/r%d", repos-1)} {
			b.Run(fmt.Sprintf("repos=%d%s", repos, path[5:]), func(b *testing.B) {
				sig := scmhook.SignGitHub(body, last)
				for b.Loop() {
					req, _ := http.NewRequest("POST", srv.URL+path, bytes.NewReader(body))
					req.Header.Set("X-GitHub-Event", "issues")
					req.Header.Set("X-Hub-Signature-256", sig)
					res, err := http.DefaultClient.Do(req)
					if err != nil {
						b.Fatal(err)
					}
					res.Body.Close()
					if res.StatusCode != http.StatusNoContent {
						b.Fatalf("got %d, want 204", res.StatusCode)
					}
				}
			})
		}
	}
}
