package convert

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/hangar-ci/hangar/shared/pipeline"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

func largeScript(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/repo/.drone.star")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// largeInput is the realistic script of testdata/repo rendered for event,
// with its library from config-repo/ and //ci/lib.star from the fake SCM.
func largeInput(t testing.TB, event string, rf RepoFiles) Input {
	req := request(".drone.star", "", event)
	return Input{
		Name:      ".drone.star",
		Script:    largeScript(t),
		Build:     req.Build,
		Repo:      req.Repo,
		Config:    sampleConfig(t),
		RepoFiles: rf,
	}
}

func TestGoldenLargeScript(t *testing.T) {
	t.Parallel()
	_, rf := builtRepo(t)
	for _, event := range []string{"push", "pull_request", "tag"} {
		t.Run(event, func(t *testing.T) {
			t.Parallel()
			got, err := Render(context.Background(), largeInput(t, event, rf))
			if err != nil {
				t.Fatalf("Render: got error %v, want none", err)
			}
			golden := filepath.Join("testdata", "golden", event+".yaml")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("rendering differs from %s (-want +got):\n%s", golden, diff)
			}
		})
	}
}

// TestGitLabLoads renders the large script with //ci/lib.star read
// through GitLab's API instead of GitHub's: the same pipelines.
func TestGitLabLoads(t *testing.T) {
	t.Parallel()
	_, rf := builtRepoGitLab(t)
	got, err := Render(context.Background(), largeInput(t, "push", rf))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("testdata/golden/push.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("GitLab rendering differs (-want +got):\n%s", diff)
	}
}

// TestRoundTripThroughPipelineParser checks that the shared pipeline
// parser reads the YAML back to exactly the data main(ctx) returned: the
// script is wrapped by one that also returns json.encode of the same value.
func TestRoundTripThroughPipelineParser(t *testing.T) {
	t.Parallel()
	srv, rf := builtRepo(t)
	srv.Set("octo/platform", commit, "ci/wrap.star", []byte(`
load("//.drone.star", real_main = "main")
def main(ctx):
    return {"kind": "json", "data": json.encode(real_main(ctx))}
`))
	for _, event := range []string{"push", "pull_request", "tag"} {
		t.Run(event, func(t *testing.T) {
			t.Parallel()
			in := largeInput(t, event, rf)
			out, err := Render(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			in.Name, in.Script = "wrapper.star", []byte(`
load("//ci/wrap.star", w = "main")
def main(ctx):
    return w(ctx)
`)
			wrapped, err := Render(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			var doc struct{ Data string }
			if err := yaml.Unmarshal([]byte(wrapped), &doc); err != nil {
				t.Fatal(err)
			}
			var want []any
			if err := json.Unmarshal([]byte(doc.Data), &want); err != nil {
				t.Fatal(err)
			}

			m, err := pipeline.Parse([]byte(out))
			if err != nil {
				t.Fatalf("pipeline.Parse: got error %v, want none", err)
			}
			if len(m.Resources) != len(want) {
				t.Fatalf("got %d resources, want %d", len(m.Resources), len(want))
			}
			for i, r := range m.Resources {
				var v any
				if err := yaml.Unmarshal(r.Source().Raw, &v); err != nil {
					t.Fatal(err)
				}
				if r.GetKind() != "pipeline" {
					t.Errorf("resource %d: got kind %q, want pipeline", i, r.GetKind())
				}
				if diff := cmp.Diff(want[i], normalize(t, v)); diff != "" {
					t.Errorf("resource %d read back differently (-want +got):\n%s", i, diff)
				}
			}
		})
	}
}

// normalize passes a YAML-decoded value through JSON so numbers and maps
// have the types json.Unmarshal gives.
func normalize(t *testing.T, v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
