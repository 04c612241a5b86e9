package store

import (
	"context"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hangar-ci/hangar/services/core/model"
)

// TestHookSecrets lists each SCM's distinct secrets, "" included.
func TestHookSecrets(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := newStore(t, d)
			for i, r := range []struct{ scm, secret string }{
				{"github", "a"}, {"github", "a"}, {"github", ""}, {"github", "b"}, {"gitlab", "c"},
			} {
				name := string(rune('p' + i))
				if err := s.CreateRepo(ctx, &model.Repo{Namespace: "octo", Name: name, Slug: "octo/" + name, SCM: r.scm, Secret: r.secret}); err != nil {
					t.Fatal(err)
				}
			}
			for scm, want := range map[string][]string{"github": {"", "a", "b"}, "gitlab": {"c"}, "gitea": nil} {
				got, err := s.HookSecrets(ctx, scm)
				if err != nil {
					t.Fatal(err)
				}
				slices.Sort(got)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s (-want +got):\n%s", scm, diff)
				}
			}
		})
	}
}
