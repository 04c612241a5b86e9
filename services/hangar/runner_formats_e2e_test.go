package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/hangar-ci/hangar/services/core/runnertest"
	"github.com/hangar-ci/hangar/shared/pipeline/foreign"
	"github.com/hangar-ci/hangar/shared/sqldb"
	"github.com/hangar-ci/hangar/shared/wire"
)

// execCopy adapts converted YAML to drone-runner-exec, which runs steps on
// this machine: type exec, no clone (the recorded repositories have no
// remote), no images or volumes, and every command echoed (gradle and
// Docker are not installed here). Conditions and steps stay as converted.
func execCopy(t *testing.T, converted []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	dec := yaml.NewDecoder(bytes.NewReader(converted))
	for {
		var doc map[string]any
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		doc["type"], doc["clone"] = "exec", map[string]any{"disable": true}
		delete(doc, "volumes")
		for _, s := range doc["steps"].([]any) {
			step := s.(map[string]any)
			delete(step, "image")
			delete(step, "volumes")
			for i, c := range step["commands"].([]any) {
				step["commands"].([]any)[i] = "echo " + strings.ReplaceAll(c.(string), " ", "_")
			}
		}
		if err := enc.Encode(doc); err != nil {
			t.Fatal(err)
		}
	}
	enc.Close()
	return out.Bytes()
}

// TestRunnerDrone08Seed runs seed 003's file, as Hangar converts it and
// adapted to the exec runner, on the real drone-runner-exec: on master
// both steps run, on a feature branch the runner leaves backend out (its
// converted when), develop builds nothing.
func TestRunnerDrone08Seed(t *testing.T) {
	t.Parallel()
	seed, err := os.ReadFile(seedFile)
	if err != nil {
		t.Fatal(err)
	}
	r, err := foreign.Convert(".drone.yml", seed, foreign.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := startCore(t, sqldb.SQLite, map[string]string{"DRONE_RPC_SECRET": rpcSecret, "HANGAR_RUNNER_DEADLINE": "20s"})
	h.activate("github", "Codertocat/legacy-exec", map[string]any{"trusted": true})
	h.GitHub.SetFile("Codertocat/legacy-exec", corePushSHA, ".drone.yml", execCopy(t, r.YAML))
	runnertest.Start(t, runnertest.Config{Host: strings.TrimPrefix(h.URL, "http://"), Secret: rpcSecret, Name: "e2e-formats"})
	for _, tc := range []struct{ ref, want string }{
		{"refs/heads/master", "default=success[backend=success(0) docker=success(0)]"},
		{"refs/heads/feature/login", "default=success[docker=success(0)]"},
		{"refs/heads/develop", ""},
	} {
		body := corePayload(t, "github/push.json", func(m map[string]any) {
			coreGitHubRepo("legacy-exec")(m)
			m["ref"] = tc.ref
		})
		res := h.postGitHub("push", body, coreHookKey)
		if tc.want == "" {
			if res.Build != nil {
				t.Errorf("%s: got build %d, want none", tc.ref, res.Build.Number)
			}
			continue
		}
		if res.Build == nil {
			t.Fatalf("%s: got %d %s, want a build", tc.ref, res.Status, res.Body)
		}
		b := h.waitBuild(t, "Codertocat/legacy-exec", res.Build.Number, 60*time.Second, "finished", func(b wire.Build) bool { return b.Finished != 0 })
		if got := stagesSummary(b); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.ref, got, tc.want)
		}
	}
}
