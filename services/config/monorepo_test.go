package config

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/drone/drone-go/drone"
	droneconfig "github.com/drone/drone-go/plugin/config"
	"github.com/google/go-cmp/cmp"

	"github.com/hangar-ci/hangar/shared/envconf"
	"github.com/hangar-ci/hangar/shared/pipeline"
	"github.com/hangar-ci/hangar/shared/scm"
	"github.com/hangar-ci/hangar/shared/scm/scmtest"
	"github.com/hangar-ci/hangar/shared/servicetest"
	"github.com/hangar-ci/hangar/shared/tree"
)

// monoFiles is the built repository: a root pipeline and three service
// directories with their own, one of which nests more files below it.
var monoFiles = map[string]string{
	".drone.yml":                  "kind: pipeline\nname: lint\nsteps:\n- name: l\n  image: alpine\n",
	"services/api/.drone.yml":     "kind: pipeline\nname: build\nsteps:\n- name: b\n  image: golang\n---\nkind: pipeline\nname: test\ndepends_on: [build]\nsteps:\n- name: t\n  image: golang\n---\nkind: signature\nhmac: abc\n",
	"services/web/.drone.yml":     "kind: pipeline\nsteps:\n- name: b\n  image: node\n---\nkind: pipeline\nname: e2e\ndepends_on:\n- default\nsteps:\n- name: e\n  image: node\n",
	"services/worker/.drone.yml":  "kind: pipeline\nname: build\nsteps:\n- name: b\n  image: golang\n",
	"services/api/x.go":           "package api\n",
	"services/api/internal/y.go":  "package internal\n",
	"services/web/app.ts":         "export {}\n",
	"services/worker/w.go":        "package worker\n",
	"README.md":                   "# mono\n",
	"services/worker/docs/new.md": "new\n",
}

// monoSCM serves the built repository octo/mono at commit h3, pushed over
// h1 with two commits: one under services/api (deep), one under
// services/web.
func monoSCM(t *testing.T, provider string) RepoSCM {
	t.Helper()
	api := scmtest.NewGitHub(t)
	if provider == "gitlab" {
		api = scmtest.NewGitLab(t)
	}
	for p, c := range monoFiles {
		api.Set("octo/mono", "h3", p, []byte(c))
	}
	api.History.Commit("octo/mono", "h1", "", scmtest.Change{Path: "README.md"})
	api.History.Commit("octo/mono", "h2", "h1", scmtest.Change{Path: "services/api/internal/y.go"})
	api.History.Commit("octo/mono", "h3", "h2", scmtest.Change{Path: "services/web/app.ts"})
	api.History.Commit("octo/mono", "h4", "h3", scmtest.Change{Path: "README.md"})
	api.History.Branch("octo/mono", "main", "h1")
	for p, c := range monoFiles {
		api.Set("octo/mono", "h4", p, []byte(c))
	}
	if provider == "gitlab" {
		gl, err := scm.NewGitLab(api.URL+"/api/v4", "token", http.DefaultClient)
		if err != nil {
			t.Fatal(err)
		}
		return gl
	}
	gh, err := scm.NewGitHub(api.URL+"/api/v3/", "token", http.DefaultClient)
	if err != nil {
		t.Fatal(err)
	}
	return gh
}

func startTreeService(t *testing.T, central tree.Tree, env map[string]string, rs RepoSCM) string {
	t.Helper()
	return startWith(t, central, env, nil, func(o *Options) { o.RepoSCM = rs })
}

func monoRequest(event, before, after string) *droneconfig.Request {
	return &droneconfig.Request{
		Repo:  drone.Repo{Namespace: "octo", Name: "mono", Slug: "octo/mono", Config: ".drone.yml", Branch: "main"},
		Build: drone.Build{Event: event, Target: "main", Ref: "refs/heads/main", Before: before, After: after},
	}
}

// pipelinesOf parses the answer and returns "name<-deps" per pipeline,
// checking the merged manifest lints and plans (a valid DAG).
func pipelinesOf(t *testing.T, data string) []string {
	t.Helper()
	m, err := pipeline.Parse([]byte(data))
	if err != nil {
		t.Fatalf("answer does not parse: %v\n%s", err, data)
	}
	if err := pipeline.LintManifest(m); err != nil {
		t.Fatalf("answer does not lint: %v\n%s", err, data)
	}
	plan, err := m.Plan(pipeline.Values{Event: "push", Branch: "main"})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range plan.Stages {
		out = append(out, s.Name+"<-"+strings.Join(s.DependsOn, ","))
	}
	return out
}

// TestMonorepoConfigs merges the nearest pipeline file above each changed
// file, names prefixed by directory, with every directory for builds
// without a diff and a cap on contributing directories.
func TestMonorepoConfigs(t *testing.T) {
	t.Parallel()
	for _, provider := range []string{"github", "gitlab"} {
		t.Run(provider, func(t *testing.T) {
			t.Parallel()
			testMonorepoConfigs(t, monoSCM(t, provider))
		})
	}
}

func testMonorepoConfigs(t *testing.T, rs RepoSCM) {
	central, _ := servicetest.Tree(t, map[string]string{"default.yaml": "kind: pipeline\nname: central\n"})
	url := startTreeService(t, central, map[string]string{"HANGAR_CONFIG_TREE": "true"}, rs)
	client := droneconfig.Client(url, testSecret, false)
	tests := []struct {
		name string
		req  *droneconfig.Request
		want []string
	}{
		{"a change in two of three directories", monoRequest("push", "h1", "h3"),
			[]string{"services/api/build<-", "services/api/test<-services/api/build", "services/web/default<-", "services/web/e2e<-services/web/default"}},
		{"a change at the root takes the root's pipelines", monoRequest("push", "h3", "h4"), []string{"lint<-"}},
		{"cron gets every directory", monoRequest("cron", "", "h3"),
			[]string{"lint<-", "services/api/build<-", "services/api/test<-services/api/build", "services/web/default<-", "services/web/e2e<-services/web/default", "services/worker/build<-"}},
		{"an unknown old tip gets every directory", monoRequest("push", "gone", "h3"),
			[]string{"lint<-", "services/api/build<-", "services/api/test<-services/api/build", "services/web/default<-", "services/web/e2e<-services/web/default", "services/worker/build<-"}},
		{"custom gets every directory", monoRequest("custom", "", "h3"),
			[]string{"lint<-", "services/api/build<-", "services/api/test<-services/api/build", "services/web/default<-", "services/web/e2e<-services/web/default", "services/worker/build<-"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := client.Find(context.Background(), tc.req)
			if err != nil {
				t.Fatal(err)
			}
			if got.Kind != "yaml" {
				t.Errorf("kind %q, want yaml", got.Kind)
			}
			if strings.Contains(got.Data, "kind: signature") {
				t.Errorf("merged config keeps a signature:\n%s", got.Data)
			}
			if d := cmp.Diff(tc.want, pipelinesOf(t, got.Data)); d != "" {
				t.Errorf("pipelines (-want +got):\n%s", d)
			}
		})
	}
	t.Run("over the directory cap", func(t *testing.T) {
		t.Parallel()
		url := startTreeService(t, central, map[string]string{"HANGAR_CONFIG_TREE": "true", "HANGAR_CONFIG_TREE_MAX_DIRS": "1"}, rs)
		_, err := droneconfig.Client(url, testSecret, false).Find(context.Background(), monoRequest("push", "h1", "h3"))
		var derr *drone.Error
		if !errorsAs(err, &derr) || derr.Code != 422 || !strings.Contains(derr.Message, "2 directories") || !strings.Contains(derr.Message, "HANGAR_CONFIG_TREE_MAX_DIRS") {
			t.Errorf("Find = %v, want 422 naming the count and the setting", err)
		}
	})
}

// TestMonorepoSetting turns per-directory configs on for the repositories
// _hangar/config-tree.yaml lists; the others keep the central lookup.
func TestMonorepoSetting(t *testing.T) {
	t.Parallel()
	central, _ := servicetest.Tree(t, map[string]string{
		"default.yaml":             "kind: pipeline\nname: central\n",
		"_hangar/config-tree.yaml": "repos: [octo/*]\n",
	})
	url := startTreeService(t, central, nil, monoSCM(t, "github"))
	client := droneconfig.Client(url, testSecret, false)
	got, err := client.Find(context.Background(), monoRequest("push", "h3", "h4"))
	if err != nil || got.Data == "" || !strings.Contains(got.Data, "name: lint") {
		t.Errorf("octo/mono: got %+v, %v; want its own root pipeline", got, err)
	}
	req := monoRequest("push", "h3", "h4")
	req.Repo.Namespace, req.Repo.Slug = "acme", "acme/mono"
	got, err = client.Find(context.Background(), req)
	if err != nil || got.Data != "kind: pipeline\nname: central\n" {
		t.Errorf("acme/mono: got %+v, %v; want the central default", got, err)
	}
}

// TestMonorepoFromEnv needs the SCM settings for HANGAR_CONFIG_TREE.
func TestMonorepoFromEnv(t *testing.T) {
	t.Parallel()
	central, _ := servicetest.Tree(t, map[string]string{"default.yaml": "kind: pipeline\n"})
	_, err := FromEnv(envconf.Map(map[string]string{"DRONE_SECRET": testSecret, "HANGAR_CONFIG_TREE": "true"}), servicetest.Env(central, nil))
	if err == nil || !strings.Contains(err.Error(), "HANGAR_SCM") {
		t.Errorf("without SCM settings: got %v, want an error naming HANGAR_SCM", err)
	}
	_, err = FromEnv(envconf.Map(map[string]string{"DRONE_SECRET": testSecret, "HANGAR_CONFIG_TREE": "true",
		"HANGAR_SCM": "github", "HANGAR_GITHUB_TOKEN": "t"}), servicetest.Env(central, nil))
	if err != nil {
		t.Errorf("with GitHub settings: %v", err)
	}
}
