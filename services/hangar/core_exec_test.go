package main

import (
	"strings"
	"testing"

	"github.com/hangar-ci/hangar/shared/sqldb"
)

// TestCoreExecPipeline sends an exec and an ssh pipeline, whose steps have
// no image, through the whole trigger of hangar all (config, convert,
// validate with the resource lint, manifest lint): both become stages of
// their type. A docker pipeline without an image is still an error build.
func TestCoreExecPipeline(t *testing.T) {
	t.Parallel()
	h := startCore(t, sqldb.SQLite, nil)
	h.activate("github", "Codertocat/exec", nil)
	h.activate("github", "Codertocat/noimage", nil)
	res := h.postGitHub("push", corePayload(t, "github/push.json", coreGitHubRepo("exec")), coreHookKey)
	if res.Build == nil || res.Build.Status != "pending" || len(res.Build.Stages) != 2 {
		t.Fatalf("exec: got %d %s, want a pending build with 2 stages", res.Status, res.Body)
	}
	for i, want := range []struct{ name, typ, os, status string }{
		{"mac", "exec", "darwin", "pending"},
		{"deploy", "ssh", "linux", "waiting_on_dependencies"},
	} {
		st := res.Build.Stages[i]
		if st.Name != want.name || st.Type != want.typ || st.OS != want.os || st.Status != want.status {
			t.Errorf("stage %d: got %s %s %s %s, want %+v", i+1, st.Name, st.Type, st.OS, st.Status, want)
		}
	}
	res = h.postGitHub("push", corePayload(t, "github/push.json", coreGitHubRepo("noimage")), coreHookKey)
	if res.Build == nil || res.Build.Status != "error" || !strings.Contains(res.Build.Error, "image") || !strings.Contains(res.Build.Error, `step "build"`) {
		t.Errorf("docker without image: got %d %s, want an error build naming the step and the image", res.Status, res.Body)
	}
}
