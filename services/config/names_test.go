package config

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drone/drone-go/drone"
	droneconfig "github.com/drone/drone-go/plugin/config"

	"github.com/hangar-ci/hangar/shared/servicetest"
	"github.com/hangar-ci/hangar/shared/tree"
)

// TestHostileNames shows no repository, namespace or branch name can reach
// outside the tree: each is refused with 400 before any file is read, and
// a file planted beside the tree never comes back.
func TestHostileNames(t *testing.T) {
	t.Parallel()
	parent := t.TempDir()
	root := filepath.Join(parent, "repo")
	servicetest.WriteFiles(t, root, map[string]string{"default.yaml": "kind: pipeline\nname: global\n", "octo/hello/default.yaml": "kind: pipeline\n"})
	const planted = "kind: pipeline\nname: STOLEN\n"
	os.WriteFile(filepath.Join(parent, "default.yaml"), []byte(planted), 0o644)
	os.WriteFile(filepath.Join(parent, "x.yaml"), []byte(planted), 0o644)

	d, err := tree.NewDir(root, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	repo := &recordingTree{Tree: d}
	url, _ := startService(t, repo, nil)
	client := droneconfig.Client(url, testSecret, false)
	long := strings.Repeat("a", 300)

	tests := []struct{ name, namespace, repo, branch string }{
		{"dot-dot namespace", "..", "x", "main"},
		{"dot-dot repo", "octo", "..", "main"},
		{"dot-dot branch", "octo", "hello", "../../x"},
		{"dot-dot inside branch", "octo", "hello", "release/../../../x"},
		{"encoded dot-dot", "%2e%2e", "x", "main"},
		{"encoded dot-dot branch", "octo", "hello", "%2e%2e/%2e%2e/x"},
		{"absolute branch", "octo", "hello", "/etc/passwd"},
		{"absolute namespace", "/etc", "passwd", "main"},
		{"NUL in repo", "octo", "hello\x00", "main"},
		{"NUL in branch", "octo", "hello", "main\x00.yaml"},
		{"backslash branch", "octo", "hello", `..\..\x`},
		{"backslash namespace", `octo\..`, "hello", "main"},
		{"slash in repo name", "octo", "hello/../..", "main"},
		{"very long repo", "octo", long, "main"},
		{"very long branch", "octo", "hello", strings.Repeat("b/", 600)},
		{"empty segment branch", "octo", "hello", "release//1.2"},
		{"dot segment branch", "octo", "hello", "./main"},
		{"empty namespace", "", "hello", "main"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := &droneconfig.Request{
				Repo:  drone.Repo{Namespace: tt.namespace, Name: tt.repo, Slug: tt.namespace + "/" + tt.repo},
				Build: drone.Build{Event: drone.EventPush, Target: tt.branch},
			}
			got, err := client.Find(context.Background(), req)
			var derr *drone.Error
			if !errorsAs(err, &derr) || derr.Code != 400 {
				t.Fatalf("Find = %+v, %v; want a 400", got, err)
			}
			if got != nil && strings.Contains(got.Data, "STOLEN") {
				t.Fatal("a file outside the tree was served")
			}
		})
	}
	t.Cleanup(func() {
		if n := repo.count(); n != 0 {
			t.Errorf("hostile names read %d files, want 0: %v", n, repo.reads)
		}
	})
}
