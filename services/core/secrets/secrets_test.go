package secrets

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/services/core/seal"
	"github.com/hangar-ci/hangar/services/core/store"
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
			got, err := ForBuild(ctx, st, sl, repo, tt.build)
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
