package secrets

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/services/core/seal"
	"github.com/hangar-ci/hangar/services/core/store"
	"github.com/hangar-ci/hangar/shared/aesgcm"
	"github.com/hangar-ci/hangar/shared/pipeline"
	"github.com/hangar-ci/hangar/shared/sqldb"
)

func TestForBuild(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := store.New(ctx, sqldb.TestDB(t, sqldb.SQLite))
	if err != nil {
		t.Fatal(err)
	}
	sl, _ := seal.New("secrets-test-database-key-0123456")
	repo := &model.Repo{Namespace: "octo", Name: "hello", Slug: "octo/hello", SCM: "github", Visibility: "private", Private: true, Active: true}
	if err := st.CreateRepo(ctx, repo); err != nil {
		t.Fatal(err)
	}
	add := func(repoID int64, ns, name, value string, pr, prPush bool) {
		sealed, _ := sl.Seal(value)
		if err := st.CreateSecret(ctx, &model.Secret{RepoID: repoID, Namespace: ns, Name: name, Data: sealed, PullRequest: pr, PullRequestPush: prPush}); err != nil {
			t.Fatal(err)
		}
	}
	add(0, "octo", "shared", "org-value", false, false)
	add(0, "octo", "registry", "org-registry", true, false)
	add(0, "other", "foreign", "other-org", true, true)
	add(repo.ID, "", "shared", "repo-value", false, false)
	add(repo.ID, "", "deploy", "deploy-key", false, true)
	tests := []struct {
		name  string
		build *model.Build
		want  []string
	}{
		{"push sees all, repository wins", &model.Build{Event: model.EventPush}, []string{"registry=org-registry", "shared=repo-value", "deploy=deploy-key"}},
		{"pull request from the repository", &model.Build{Event: model.EventPullRequest, Fork: "octo/hello"}, []string{"registry=org-registry", "deploy=deploy-key"}},
		{"pull request from a fork", &model.Build{Event: model.EventPullRequest, Fork: "mallory/hello"}, []string{"registry=org-registry"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ForBuild(ctx, st, sl, repo, tt.build, nil)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, s := range got {
				names = append(names, s.Name+"="+s.Data)
			}
			if diff := cmp.Diff(tt.want, names); diff != "" {
				t.Errorf("secrets (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEncrypted(t *testing.T) {
	t.Parallel()
	repo := &model.Repo{Slug: "octo/hello", Secret: strings.Repeat("k", 64), Private: false}
	key, _ := aesgcm.KeyFrom(repo.Secret)
	sealed, _ := aesgcm.Encrypt([]byte("enc-value"), key)
	other, _ := aesgcm.KeyFrom(strings.Repeat("o", 32))
	foreign, _ := aesgcm.Encrypt([]byte("enc-value"), other)
	manifest := func(data []byte) *pipeline.Manifest {
		m, err := pipeline.Parse([]byte("kind: pipeline\nname: p\nsteps:\n- name: s\n  image: alpine\n---\nkind: secret\nname: token\ndata: " +
			base64.StdEncoding.EncodeToString(data) + "\n"))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	got, err := Encrypted(repo, &model.Build{Event: model.EventPush}, manifest(sealed))
	if err != nil || len(got) != 1 || got[0].Name != "token" || got[0].Data != "enc-value" {
		t.Errorf("push: got %v %v, want token=enc-value", got, err)
	}
	if got, _ := Encrypted(repo, &model.Build{Event: model.EventPullRequest, Fork: "mallory/hello"}, manifest(sealed)); len(got) != 0 {
		t.Errorf("fork pull request of a public repository: got %v, want none", got)
	}
	if _, err := Encrypted(repo, &model.Build{Event: model.EventPush}, manifest(foreign)); err == nil || strings.Contains(err.Error(), "enc-value") {
		t.Errorf("another repository's value: got %v, want an error without the value", err)
	}
}
