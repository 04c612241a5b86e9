package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hangar-ci/hangar/services/core/coretest"
	"github.com/hangar-ci/hangar/shared/envconf"
	"github.com/hangar-ci/hangar/shared/wire"
)

// coreAPIScenarios drive builds through the REST API and the hangar hook tool.
var coreAPIScenarios = []coreScenario{
	{"validator block, approve, decline, cancel", coreValidatorBlockApproveDeclineCancel},
	{"custom build through the API", coreCustomBuildThroughTheAPI},
	{"auto-cancel of older pending pushes", coreAutoCancelOfOlderPendingPushes},
	{"runner reports advance the DAG and finish the build", coreRunnerReportsAdvanceTheDAGAndFinishTheBuild},
	{"hangar hook replays a payload", coreHangarHookReplaysAPayload},
	{"deployment promotes to its environment", coreDeploymentPromotesToItsEnvironment},
}

func coreValidatorBlockApproveDeclineCancel(t *testing.T, h *coreHangar) {
	var builds []*wire.Build
	for range 3 {
		res := h.postGitHub("push", corePayload(t, "github/push.json", coreGitHubRepo("blocked")), coreHookKey)
		if res.Build == nil {
			t.Fatalf("got %d %s, want a blocked build", res.Status, res.Body)
		}
		builds = append(builds, res.Build)
	}
	want := []coreStageView{
		{"build", "blocked", nil, "linux", "amd64"},
		{"release", "blocked", []string{"build"}, "linux", "amd64"},
	}
	if diff := cmp.Diff(want, coreStagesOf(builds[0])); diff != "" {
		t.Errorf("stages (-want +got):\n%s", diff)
	}
	// Approving the dependent stage schedules it at once, as Drone does.
	if code := h.api(http.MethodPost, "/repos/Codertocat/blocked/builds/1/approve/2", nil, nil); code != http.StatusOK {
		t.Errorf("approve: got %d, want 200", code)
	}
	if code := h.api(http.MethodPost, "/repos/Codertocat/blocked/builds/1/approve/2", nil, nil); code != http.StatusConflict {
		t.Errorf("approving twice: got %d, want 409", code)
	}
	if code := h.api(http.MethodPost, "/repos/Codertocat/blocked/builds/2/decline/1", nil, nil); code != http.StatusOK {
		t.Errorf("decline: got %d, want 200", code)
	}
	if code := h.api(http.MethodDelete, "/repos/Codertocat/blocked/builds/3", nil, nil); code != http.StatusOK {
		t.Errorf("cancel: got %d, want 200", code)
	}
	got := []coreStageView{}
	var statuses []string
	for n := int64(1); n <= 3; n++ {
		b := h.build("Codertocat/blocked", n)
		statuses = append(statuses, b.Status)
		got = append(got, coreStagesOf(&b)...)
	}
	wantAfter := []coreStageView{
		{"build", "blocked", nil, "linux", "amd64"}, {"release", "pending", []string{"build"}, "linux", "amd64"},
		{"build", "declined", nil, "linux", "amd64"}, {"release", "blocked", []string{"build"}, "linux", "amd64"},
		{"build", "skipped", nil, "linux", "amd64"}, {"release", "skipped", []string{"build"}, "linux", "amd64"},
	}
	if diff := cmp.Diff(wantAfter, got); diff != "" {
		t.Errorf("stages after approve/decline/cancel (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"pending", "declined", "killed"}, statuses); diff != "" {
		t.Errorf("build statuses (-want +got):\n%s", diff)
	}
	if res := h.postGitHub("push", corePayload(t, "github/push.json", coreGitHubRepo("vskip")), coreHookKey); res.Status != http.StatusOK || res.Build != nil {
		t.Errorf("validator skip: got %d %s, want 200 null", res.Status, res.Body)
	}
	if n := len(h.builds("Codertocat/vskip")); n != 0 {
		t.Errorf("validator skip: got %d builds, want 0", n)
	}
}

func coreCustomBuildThroughTheAPI(t *testing.T, h *coreHangar) {
	// drone build create resolves the commit through the SCM API.
	h.GitHub.SetCommit("Codertocat/custom", corePushSHA, coretest.Commit{Message: "Deploy it", AuthorLogin: "Codertocat"})
	var b wire.Build
	if code := h.api(http.MethodPost, "/repos/Codertocat/custom/builds?branch=master&commit="+corePushSHA+"&DEPLOY=prod", nil, &b); code != http.StatusCreated {
		t.Fatalf("create: got %d, want 201", code)
	}
	if b.Event != "custom" || b.Ref != "refs/heads/master" || b.Params["DEPLOY"] != "prod" || len(b.Stages) != 3 || b.After != corePushSHA || b.Message != "Deploy it" {
		t.Errorf("custom build: got %s %s %s %q params %v with %d stages, want custom refs/heads/master %s \"Deploy it\" DEPLOY=prod with 3", b.Event, b.Ref, b.After, b.Message, b.Params, len(b.Stages), corePushSHA)
	}
	if code := h.api(http.MethodPost, "/repos/Codertocat/custom/builds?branch=no-such-branch", nil, nil); code != http.StatusNotFound {
		t.Errorf("unknown branch: got %d, want 404", code)
	}
	req, _ := http.NewRequest(http.MethodGet, h.URL+"/core/api/repos/Codertocat/dag/builds", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("API without token: got %d, want 401", res.StatusCode)
	}
}

func coreAutoCancelOfOlderPendingPushes(t *testing.T, h *coreHangar) {
	h.activate("github", "Codertocat/autocancel", map[string]any{"auto_cancel_pushes": true})
	for i := range 3 {
		body := corePayload(t, "github/push.json", coreGitHubRepo("autocancel"))
		body = bytes.ReplaceAll(body, []byte(corePushSHA), []byte(strings.Repeat(string(rune('a'+i)), 40)))
		if res := h.postGitHub("push", body, coreHookKey); res.Build == nil {
			t.Fatalf("push %d: got %d %s, want a build", i, res.Status, res.Body)
		}
	}
	var got []string
	for n := int64(1); n <= 3; n++ {
		b := h.build("Codertocat/autocancel", n)
		got = append(got, b.Status+":"+b.Stages[0].Status+":"+b.Stages[1].Status)
	}
	want := []string{"skipped:skipped:skipped", "skipped:skipped:skipped", "pending:pending:waiting_on_dependencies"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("build:stage statuses (-want +got):\n%s", diff)
	}
	var enabled bool
	for _, e := range h.Webhook.Events() {
		enabled = enabled || e.Event == "repo" && e.Action == "enabled" && e.Repo.Slug == "Codertocat/autocancel"
	}
	if !enabled {
		t.Error("no repo:enabled webhook for the activation")
	}
}

func coreRunnerReportsAdvanceTheDAGAndFinishTheBuild(t *testing.T, h *coreHangar) {
	res := h.postGitHub("push", corePayload(t, "github/push.json", coreGitHubRepo("report")), coreHookKey)
	if res.Build == nil {
		t.Fatalf("got %d %s, want a build", res.Status, res.Body)
	}
	// queued reports which of the build's stages the queue offers (it also
	// lists waiting and blocked stages, with the reason).
	queued := func() []bool {
		t.Helper()
		var q []wire.Stage
		if code := h.api(http.MethodGet, "/queue", nil, &q); code != http.StatusOK {
			t.Fatalf("queue: got %d, want 200", code)
		}
		out := make([]bool, len(res.Build.Stages))
		for _, st := range q {
			for i, mine := range res.Build.Stages {
				out[i] = out[i] || st.ID == mine.ID && (st.Status == "pending" || st.Status == "running")
			}
		}
		return out
	}
	if diff := cmp.Diff([]bool{true, false, false}, queued()); diff != "" {
		t.Errorf("queued stages after the hook (-want +got):\n%s", diff)
	}
	report := func(stage int, status string) wire.Build {
		t.Helper()
		var b wire.Build
		if code := h.api(http.MethodPut, fmt.Sprintf("/repos/Codertocat/report/builds/1/stages/%d", stage), map[string]any{"status": status}, &b); code != http.StatusOK {
			t.Fatalf("report stage %d %s: got %d, want 200", stage, status, code)
		}
		return b
	}
	stageStates := func(b wire.Build) string {
		var out []string
		for _, st := range b.Stages {
			out = append(out, st.Status)
		}
		return b.Status + " " + strings.Join(out, ",")
	}
	steps := []struct {
		stage  int
		status string
		want   string
	}{
		{1, "running", "running running,waiting_on_dependencies,waiting_on_dependencies"},
		{1, "success", "running success,pending,waiting_on_dependencies"},
		{2, "failure", "failure success,failure,skipped"},
	}
	for _, st := range steps {
		if got := stageStates(report(st.stage, st.status)); got != st.want {
			t.Errorf("after stage %d %s: got %q, want %q", st.stage, st.status, got, st.want)
		}
	}
	if diff := cmp.Diff([]bool{false, false, false}, queued()); diff != "" {
		t.Errorf("queued stages after the build finished (-want +got):\n%s", diff)
	}
	if code := h.api(http.MethodPut, "/repos/Codertocat/report/builds/1/stages/3", map[string]any{"status": "success"}, nil); code != http.StatusConflict {
		t.Errorf("report on a skipped stage: got %d, want 409", code)
	}
	var states []string
	for _, st := range h.GitHub.Statuses() {
		if st.Slug == "Codertocat/report" {
			states = append(states, st.State+":"+st.Description)
		}
	}
	want := []string{"pending:Build is pending", "pending:Build is running", "failure:Build is failing"}
	if diff := cmp.Diff(want, states); diff != "" {
		t.Errorf("commit statuses (-want +got):\n%s", diff)
	}
	var updated bool
	for _, e := range h.Webhook.Events() {
		updated = updated || e.Event == "build" && e.Action == "updated" && e.Repo.Slug == "Codertocat/report" && e.Build.Status == "failure" && len(e.Build.Stages) == 3
	}
	if !updated {
		t.Error("no build:updated webhook with the failed build and its stages")
	}
}

func coreHangarHookReplaysAPayload(t *testing.T, h *coreHangar) {
	file := filepath.Join(t.TempDir(), "push.json")
	if err := os.WriteFile(file, corePayload(t, "github/push.json", coreGitHubRepo("tool")), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"hook", "-secret", coreHookKey, file, h.URL + "/core/hook"}, envconf.Map(nil), &out, &errOut)
	if err != nil || !strings.Contains(out.String(), "200 OK") || !strings.Contains(out.String(), `"number": 1`) {
		t.Errorf("got %v, output %q, want 200 with build 1", err, out.String())
	}
	out.Reset()
	err = run(context.Background(), []string{"hook", "-secret", "wrong", file, h.URL + "/core/hook"}, envconf.Map(nil), &out, &errOut)
	if err == nil || !strings.Contains(out.String(), "401") {
		t.Errorf("wrong secret: got %v, output %q, want a 401 error", err, out.String())
	}
}

func coreDeploymentPromotesToItsEnvironment(t *testing.T, h *coreHangar) {
	res := h.postGitHub("deployment", corePayload(t, "github/deployment.json", coreGitHubRepo("deploy")), coreHookKey)
	if res.Build == nil {
		t.Fatalf("got %d %s, want a build", res.Status, res.Body)
	}
	b := res.Build
	if b.Event != "promote" || b.Deploy != "production" || b.DeployID != 145988746 || len(b.Stages) != 1 || b.Stages[0].Name != "to-production" {
		t.Errorf("got %s to %q (#%d) with %v, want promote to production with stage to-production", b.Event, b.Deploy, b.DeployID, coreStagesOf(b))
	}
	for _, st := range h.GitHub.Statuses() {
		if st.Slug == "Codertocat/deploy" {
			t.Errorf("a deployment build set a commit status: %+v", st)
		}
	}
	// Promote build 1 to staging, retry it, and roll back (no pipeline runs on rollback).
	var promoted, retried wire.Build
	if code := h.api(http.MethodPost, "/repos/Codertocat/deploy/builds/1/promote?target=staging&VERSION=1.2", nil, &promoted); code != http.StatusCreated {
		t.Fatalf("promote: got %d, want 201", code)
	}
	if promoted.Number != 2 || promoted.Parent != 1 || promoted.Event != "promote" || promoted.Deploy != "staging" ||
		promoted.Params["VERSION"] != "1.2" || len(promoted.Stages) != 1 || promoted.Stages[0].Name != "to-staging" {
		t.Errorf("promote: got #%d parent %d %s to %q params %v stages %v, want #2 parent 1 promote to staging VERSION=1.2 with to-staging",
			promoted.Number, promoted.Parent, promoted.Event, promoted.Deploy, promoted.Params, coreStagesOf(&promoted))
	}
	if code := h.api(http.MethodPost, "/repos/Codertocat/deploy/builds/2?VERSION=9", nil, &retried); code != http.StatusCreated {
		t.Fatalf("retry: got %d, want 201", code)
	}
	if retried.Number != 3 || retried.Parent != 2 || retried.Deploy != "staging" || retried.Params["VERSION"] != "1.2" {
		t.Errorf("retry: got #%d parent %d to %q params %v, want #3 parent 2 to staging with the previous VERSION=1.2",
			retried.Number, retried.Parent, retried.Deploy, retried.Params)
	}
	if code := h.api(http.MethodPost, "/repos/Codertocat/deploy/builds/1/rollback?target=production", nil, nil); code != http.StatusUnprocessableEntity {
		t.Errorf("rollback with no matching pipeline: got %d, want 422", code)
	}
	if code := h.api(http.MethodPost, "/repos/Codertocat/deploy/builds/1/promote", nil, nil); code != http.StatusBadRequest {
		t.Errorf("promote without target: got %d, want 400", code)
	}
}
