package validate

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/drone/drone-go/drone"
	"github.com/drone/drone-go/plugin/validator"
	"go.yaml.in/yaml/v3"
)

// benchManifest is a 50-pipeline, 500-step manifest. Lean steps are the
// common shape (name, image, two commands; every fifth with a secret and
// limits); fat steps carry environment, resources, dependencies and a
// when block each, about three times the text.
func benchManifest(fat bool) string {
	var b strings.Builder
	for p := 0; p < 50; p++ {
		fmt.Fprintf(&b, "---\nkind: pipeline\ntype: docker\nname: p%d\n", p)
		if p > 0 {
			fmt.Fprintf(&b, "depends_on: [p%d]\n", p-1)
		}
		b.WriteString("trigger:\n  branch: [main, release/*]\nsteps:\n")
		for s := 0; s < 10; s++ {
			fmt.Fprintf(&b, "- name: s%d\n  image: golang:1.26\n  commands:\n  - go vet ./...\n  - go test -run Test%d ./...\n", s, s)
			if fat || s%5 == 0 {
				b.WriteString("  environment:\n    GOFLAGS: -mod=mod\n    TOKEN: {from_secret: token}\n")
				b.WriteString("  resources: {limits: {cpu: 500m, memory: 512Mi}}\n")
			}
			if fat {
				if s > 0 {
					fmt.Fprintf(&b, "  depends_on: [s%d]\n", s-1)
				}
				b.WriteString("  when: {event: [push, pull_request]}\n")
			}
		}
	}
	return b.String()
}

var benchSizes = []struct {
	name string
	fat  bool
}{{"lean", false}, {"fat", true}}

const benchPolicy = `rules:
- id: images
  kind: images
  allow: ["golang:*", "registry.acme.io/**"]
  deny: ["**/*:latest"]
- id: privileged
  kind: privileged
  allow_repos: [infra/*]
- id: limits
  kind: resources
  events: [tag]
- id: size
  kind: limits
  max_pipelines: 100
  max_steps: 50
- id: no-secret-in-pr
  kind: cel
  expr: build.event == 'pull_request' && size(step.secrets) > 0
`

// BenchmarkYAMLUnmarshalBaseline decodes the same bytes with plain
// yaml.v3, document by document, into untyped values: the floor any
// parser of this manifest pays.
func BenchmarkYAMLUnmarshalBaseline(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(size.name, func(b *testing.B) {
			data := []byte(benchManifest(size.fat))
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				dec := yaml.NewDecoder(bytes.NewReader(data))
				for {
					var v any
					if err := dec.Decode(&v); err != nil {
						break
					}
				}
			}
		})
	}
}

// BenchmarkCheck is parse + manifest lint + resource lint + policy
// (images, gated, resources, limits and a per-step CEL rule) of the
// 50-pipeline, 500-step manifest, cold: nothing cached. Target: < 2 ms.
func BenchmarkCheck(b *testing.B) {
	p, build, repo := benchSetup(b)
	for _, size := range benchSizes {
		b.Run(size.name, func(b *testing.B) {
			data := benchManifest(size.fat)
			if d := Check(context.Background(), p, build, repo, data, CheckOptions{Lint: true}); d.Outcome != DecisionValid {
				b.Fatalf("got %s %v, want valid", d.Outcome, d.Violations)
			}
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				Check(context.Background(), p, build, repo, data, CheckOptions{Lint: true})
			}
		})
	}
}

// BenchmarkCheckCached is the same decision when the text was parsed and
// linted before (the service's content cache): hash + policy only.
func BenchmarkCheckCached(b *testing.B) {
	p, build, repo := benchSetup(b)
	for _, size := range benchSizes {
		b.Run(size.name, func(b *testing.B) {
			data := benchManifest(size.fat)
			c := newParseCache(8, 32<<20, nil)
			c.analyze(context.Background(), data, repo.Trusted, CheckOptions{Lint: true})
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				a, _, _ := c.analyze(context.Background(), data, repo.Trusted, CheckOptions{Lint: true})
				a.decide(context.Background(), p, build, repo)
			}
		})
	}
}

func benchSetup(b *testing.B) (*Policy, drone.Build, drone.Repo) {
	p, err := ParsePolicy([]byte(benchPolicy))
	if err != nil {
		b.Fatal(err)
	}
	return p, pushBuild(), repoOf("octo/api", false)
}

// BenchmarkHTTPConstantBaseline is a bare net/http handler answering 204
// over loopback to drone-go's client: the transport's own cost.
func BenchmarkHTTPConstantBaseline(b *testing.B) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	defer ts.Close()
	benchClient(b, ts.URL)
}

// BenchmarkHTTPValidate is the whole service over loopback, signature
// checked, on the lean 50-pipeline manifest (content cache on, as deployed).
func BenchmarkHTTPValidate(b *testing.B) {
	f := start(b, benchPolicy)
	benchClient(b, f.url)
}

func benchClient(b *testing.B, url string) {
	c := validator.Client(url, testSecret, false)
	req := &validator.Request{Build: pushBuild(), Repo: repoOf("octo/api", false), Config: drone.Config{Data: benchManifest(false)}}
	if err := c.Validate(context.Background(), req); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := c.Validate(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}
