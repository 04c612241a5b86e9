package config

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/drone/drone-go/drone"
	droneconfig "github.com/drone/drone-go/plugin/config"
	"github.com/google/go-cmp/cmp"

	"github.com/hangar-ci/hangar/shared/scm"
	"github.com/hangar-ci/hangar/shared/scm/scmtest"
	"github.com/hangar-ci/hangar/shared/servicetest"
	"github.com/hangar-ci/hangar/shared/tree"
)

var sampleTree = map[string]string{
	"default.yaml":                "kind: pipeline\nname: global\n",
	"octo/default.yaml":           "kind: pipeline\nname: org\n",
	"octo/hello/default.yaml":     "kind: pipeline\nname: repo\n",
	"octo/hello/main.yaml":        "kind: pipeline\nname: main\n",
	"octo/hello/release/1.2.yaml": "kind: pipeline\nname: release\n",
	"octo/api/default.star":       "def main(ctx):\n    return {\"kind\": \"pipeline\"}\n",
}

func request(slug, branch string) *droneconfig.Request {
	ns, name, _ := strings.Cut(slug, "/")
	return &droneconfig.Request{
		Repo:  drone.Repo{Namespace: ns, Name: name, Slug: slug, Config: ".drone.yml"},
		Build: drone.Build{Event: drone.EventPush, Target: branch, Ref: "refs/heads/" + branch, After: "6d2b9e2"},
	}
}

// TestDroneClient calls the real handler with drone-go v1.7.1's own config
// client, the code the Drone server runs.
func TestDroneClient(t *testing.T) {
	t.Parallel()
	d, _ := servicetest.Tree(t, sampleTree)
	url, _ := startService(t, d, nil)
	client := droneconfig.Client(url, testSecret, false)

	tests := []struct {
		name     string
		slug     string
		branch   string
		wantData string
		wantKind string
	}{
		{"per-branch file", "octo/hello", "main", sampleTree["octo/hello/main.yaml"], "yaml"},
		{"branch with a slash", "octo/hello", "release/1.2", sampleTree["octo/hello/release/1.2.yaml"], "yaml"},
		{"repo default", "octo/hello", "feature/x", sampleTree["octo/hello/default.yaml"], "yaml"},
		{"org default", "octo/other", "main", sampleTree["octo/default.yaml"], "yaml"},
		{"global default", "acme/web", "main", sampleTree["default.yaml"], "yaml"},
		{"tag without a target branch", "octo/hello", "", sampleTree["octo/hello/default.yaml"], "yaml"},
		{"starlark file is marked", "octo/api", "main",
			"# hangar: kind=starlark path=octo/api/default.star\n" + sampleTree["octo/api/default.star"], "starlark"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := client.Find(context.Background(), request(tt.slug, tt.branch))
			if err != nil {
				t.Fatalf("Find: %v", err)
			}
			if diff := cmp.Diff(&drone.Config{Data: tt.wantData, Kind: tt.wantKind}, got); diff != "" {
				t.Errorf("Find (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNothingFound(t *testing.T) {
	t.Parallel()
	files := map[string]string{"octo/hello/default.yaml": "kind: pipeline\n"}
	d, _ := servicetest.Tree(t, files)

	t.Run("204 lets Drone read the repository's file", func(t *testing.T) {
		t.Parallel()
		url, _ := startService(t, d, nil)
		got, err := droneconfig.Client(url, testSecret, false).Find(context.Background(), request("acme/web", "main"))
		if err != nil {
			t.Fatalf("Find: %v, want nil (204)", err)
		}
		if got.Data != "" {
			t.Errorf("Data = %q, want empty: Drone falls back only on 204 or empty data", got.Data)
		}
	})
	t.Run("exclusive mode is an error", func(t *testing.T) {
		t.Parallel()
		url, _ := startService(t, d, map[string]string{"HANGAR_CONFIG_EXCLUSIVE": "true"})
		_, err := droneconfig.Client(url, testSecret, false).Find(context.Background(), request("acme/web", "main"))
		var derr *drone.Error
		if !errorsAs(err, &derr) || derr.Code != 404 || !strings.Contains(derr.Message, "no pipeline for acme/web") {
			t.Errorf("Find = %v, want 404 naming acme/web", err)
		}
	})
}

// TestSourceError shows a failing config source reaching Drone as a
// non-2xx with the reason, never as a 204 that would silently run the
// repository's own file.
func TestSourceError(t *testing.T) {
	t.Parallel()
	api := scmtest.NewGitHub(t)
	gh, err := scm.NewGitHub(api.URL+"/api/v3/", "token", api.Client())
	if err != nil {
		t.Fatal(err)
	}
	api.Fail(502)
	url, logs := startService(t, tree.NewRemote(gh, "platform/pipelines", "main", time.Minute, discardLogger()), nil)
	_, err = droneconfig.Client(url, testSecret, false).Find(context.Background(), request("octo/hello", "main"))
	var derr *drone.Error
	if !errorsAs(err, &derr) || derr.Code != 503 || !strings.Contains(derr.Message, "config repository unavailable") || !strings.Contains(derr.Message, "502") {
		t.Fatalf("Find = %v, want 503 with the reason", err)
	}
	if !strings.Contains(logs.String(), `"status":503`) {
		t.Errorf("log has no 503 line:\n%s", logs)
	}
}
