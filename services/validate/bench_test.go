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

// benchManifest is a 50-pipeline, 500-step manifest of realistic steps.
func benchManifest() string {
	var b strings.Builder
	for p := 0; p < 50; p++ {
		fmt.Fprintf(&b, "---\nkind: pipeline\ntype: docker\nname: p%d\n", p)
		if p > 0 {
			fmt.Fprintf(&b, "depends_on: [p%d]\n", p-1)
		}
		b.WriteString("platform: {os: linux, arch: amd64}\ntrigger:\n  branch: [main, release/*]\n  event: {exclude: [promote]}\nsteps:\n")
		for s := 0; s < 10; s++ {
			fmt.Fprintf(&b, "- name: s%d\n  image: golang:1.26\n  commands:\n  - go vet ./...\n  - go test -run Test%d ./...\n", s, s)
			b.WriteString("  environment:\n    GOFLAGS: -mod=mod\n    TOKEN: {from_secret: token}\n")
			b.WriteString("  resources: {limits: {cpu: 500m, memory: 512Mi}}\n")
			if s > 0 {
				fmt.Fprintf(&b, "  depends_on: [s%d]\n", s-1)
			}
			b.WriteString("  when: {event: [push, pull_request]}\n")
		}
	}
	return b.String()
}

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
	data := []byte(benchManifest())
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
}

// BenchmarkCheck is parse + manifest lint + resource lint + policy
// (images, gated, resources, limits and a per-step CEL rule) of the
// 50-pipeline, 500-step manifest. Target: under 2 ms.
func BenchmarkCheck(b *testing.B) {
	data := benchManifest()
	p, err := ParsePolicy([]byte(benchPolicy))
	if err != nil {
		b.Fatal(err)
	}
	build, repo := pushBuild(), repoOf("octo/api", false)
	if d := Check(context.Background(), p, build, repo, data, CheckOptions{Lint: true}); d.Outcome != DecisionValid {
		b.Fatalf("got %s %v, want valid", d.Outcome, d.Violations)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		Check(context.Background(), p, build, repo, data, CheckOptions{Lint: true})
	}
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
// checked, on the 50-pipeline manifest.
func BenchmarkHTTPValidate(b *testing.B) {
	f := start(&testing.T{}, benchPolicy)
	benchClient(b, f.url)
}

func benchClient(b *testing.B, url string) {
	c := validator.Client(url, testSecret, false)
	req := &validator.Request{Build: pushBuild(), Repo: repoOf("octo/api", false), Config: drone.Config{Data: benchManifest()}}
	if err := c.Validate(context.Background(), req); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := c.Validate(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}
