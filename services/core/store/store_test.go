package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/shared/sqldb"
)

var dialects = []sqldb.Dialect{sqldb.SQLite, sqldb.Postgres}

func newStore(t testing.TB, d sqldb.Dialect) *Store {
	t.Helper()
	s, err := New(context.Background(), sqldb.TestDB(t, d))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newRepo(t testing.TB, s *Store, slug string) *model.Repo {
	t.Helper()
	r := &model.Repo{Namespace: "octo", Name: slug, Slug: "octo/" + slug, SCM: "github", Active: true, Config: ".drone.yml", Secret: "s"}
	if err := s.CreateRepo(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRepos(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := newStore(t, d)
			r := newRepo(t, s, "Hello")
			if err := s.CreateRepo(ctx, &model.Repo{Slug: "OCTO/hello", SCM: "github"}); !errors.Is(err, ErrConflict) {
				t.Fatalf("duplicate slug: got %v, want ErrConflict", err)
			}
			got, err := s.FindRepoSlug(ctx, "github", "octo/HELLO")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(r, got); diff != "" {
				t.Errorf("found repo differs (-want +got):\n%s", diff)
			}
			if _, err := s.FindRepoSlug(ctx, "gitlab", "octo/hello"); !errors.Is(err, ErrNotFound) {
				t.Errorf("other scm: got %v, want ErrNotFound", err)
			}
			got.Trusted = true
			if err := s.UpdateRepo(ctx, got); err != nil {
				t.Fatal(err)
			}
			stale := *r
			if err := s.UpdateRepo(ctx, &stale); !errors.Is(err, ErrConflict) {
				t.Errorf("stale update: got %v, want ErrConflict", err)
			}
		})
	}
}

func TestCreateBuildWithStages(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := newStore(t, d)
			r := newRepo(t, s, "hello")
			b := &model.Build{RepoID: r.ID, Status: model.StatusPending, Event: "push", Params: map[string]string{"a": "b"}}
			stages := []*model.Stage{
				{Number: 1, Name: "build", Status: model.StatusPending, OS: "linux", Arch: "amd64", OnSuccess: true},
				{Number: 2, Name: "deploy", Status: model.StatusWaiting, DependsOn: []string{"build"}, Labels: map[string]string{"x": "y"}},
			}
			if err := s.CreateBuild(ctx, b, stages); err != nil {
				t.Fatal(err)
			}
			if b.Number != 1 {
				t.Errorf("number: got %d, want 1", b.Number)
			}
			got, err := s.FindBuild(ctx, r.ID, 1)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(b, got); diff != "" {
				t.Errorf("build differs (-want +got):\n%s", diff)
			}
			gotStages, err := s.ListStages(ctx, b.ID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(stages, gotStages); diff != "" {
				t.Errorf("stages differ (-want +got):\n%s", diff)
			}
			// A failing stage insert rolls everything back, counter included.
			bad := &model.Build{RepoID: r.ID, Status: model.StatusPending}
			dup := []*model.Stage{{Number: 1, Name: "a"}, {Number: 1, Name: "b"}}
			if err := s.CreateBuild(ctx, bad, dup); err == nil {
				t.Fatal("duplicate stage numbers: got nil error, want one")
			}
			next := &model.Build{RepoID: r.ID, Status: model.StatusPending}
			if err := s.CreateBuild(ctx, next, nil); err != nil {
				t.Fatal(err)
			}
			if next.Number != 2 {
				t.Errorf("number after a rolled-back build: got %d, want 2", next.Number)
			}
		})
	}
}

func TestConcurrentBuildNumbers(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := newStore(t, d)
			r := newRepo(t, s, "busy")
			const n = 200
			var wg sync.WaitGroup
			errs := make(chan error, n)
			for range n {
				wg.Go(func() {
					b := &model.Build{RepoID: r.ID, Status: model.StatusPending}
					errs <- s.CreateBuild(ctx, b, []*model.Stage{{Number: 1, Name: "default"}})
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			builds, err := s.ListBuilds(ctx, r.ID, 1000, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(builds) != n {
				t.Fatalf("builds: got %d, want %d", len(builds), n)
			}
			for i, b := range builds {
				if want := int64(n - i); b.Number != want {
					t.Fatalf("build at %d: got number %d, want %d", i, b.Number, want)
				}
			}
		})
	}
}

func TestUpdateBuildAndStage(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := newStore(t, d)
			r := newRepo(t, s, "hello")
			b := &model.Build{RepoID: r.ID, Status: model.StatusPending}
			st := &model.Stage{Number: 1, Name: "default", Status: model.StatusBlocked}
			if err := s.CreateBuild(ctx, b, []*model.Stage{st}); err != nil {
				t.Fatal(err)
			}
			stale := *b
			b.Status = model.StatusKilled
			if err := s.UpdateBuild(ctx, b); err != nil {
				t.Fatal(err)
			}
			if err := s.UpdateBuild(ctx, &stale); !errors.Is(err, ErrConflict) {
				t.Errorf("stale build update: got %v, want ErrConflict", err)
			}
			st.Status = model.StatusPending
			if err := s.UpdateStage(ctx, st); err != nil {
				t.Fatal(err)
			}
			got, _ := s.ListStages(ctx, b.ID)
			if len(got) != 1 || got[0].Status != model.StatusPending || got[0].Version != 2 {
				t.Errorf("stage after update: got %+v, want pending version 2", got)
			}
		})
	}
}

// TestConcurrentBuildsWithFailures mixes failing builds into concurrent
// ones: each failure fails alone, and the others are still numbered
// without a gap.
func TestConcurrentBuildsWithFailures(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := newStore(t, d)
			r := newRepo(t, s, "mixed")
			const n = 100
			var wg sync.WaitGroup
			var mu sync.Mutex
			failed := 0
			for i := range n {
				wg.Go(func() {
					stages := []*model.Stage{{Number: 1, Name: "a"}}
					if i%10 == 0 {
						stages = append(stages, &model.Stage{Number: 1, Name: "duplicate number"})
					}
					err := s.CreateBuild(ctx, &model.Build{RepoID: r.ID, Status: model.StatusPending}, stages)
					if (err != nil) != (i%10 == 0) {
						t.Errorf("build %d: got error %v, want one only for every tenth", i, err)
					}
					if err != nil {
						mu.Lock()
						failed++
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			builds, err := s.ListBuilds(ctx, r.ID, 1000, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(builds) != n-failed || failed != n/10 {
				t.Fatalf("got %d builds and %d failures, want %d and %d", len(builds), failed, n-n/10, n/10)
			}
			for i, b := range builds {
				if want := int64(len(builds) - i); b.Number != want {
					t.Fatalf("build at %d: got number %d, want %d", i, b.Number, want)
				}
				stages, _ := s.ListStages(ctx, b.ID)
				if len(stages) != 1 {
					t.Errorf("build %d: got %d stages, want 1", b.Number, len(stages))
				}
			}
		})
	}
}

// TestWriteGroup writes builds of two repositories in one group: numbers
// follow queue order per repository and every id comes back to its row.
func TestWriteGroup(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := newStore(t, d)
			a, b := newRepo(t, s, "a"), newRepo(t, s, "b")
			var group []*createReq
			for i, repo := range []*model.Repo{a, b, a, a, b} {
				group = append(group, &createReq{
					build:  &model.Build{RepoID: repo.ID, Status: model.StatusPending, Message: fmt.Sprint(i)},
					stages: []*model.Stage{{Number: 1, Name: "one"}, {Number: 2, Name: "two", DependsOn: []string{"one"}}},
					done:   make(chan error, 1),
				})
			}
			s.writeGroup(group)
			wantNumbers := []int64{1, 1, 2, 3, 2}
			for i, r := range group {
				if err := <-r.done; err != nil {
					t.Fatalf("build %d: %v", i, err)
				}
				if r.build.Number != wantNumbers[i] {
					t.Errorf("build %d: got number %d, want %d", i, r.build.Number, wantNumbers[i])
				}
				got, err := s.FindBuild(ctx, r.build.RepoID, r.build.Number)
				if err != nil || got.ID != r.build.ID || got.Message != fmt.Sprint(i) {
					t.Errorf("build %d: stored %+v, %v; want id %d message %d", i, got, err, r.build.ID, i)
				}
				stages, _ := s.ListStages(ctx, r.build.ID)
				if diff := cmp.Diff(r.stages, stages); diff != "" {
					t.Errorf("build %d stages (-want +got):\n%s", i, diff)
				}
			}
			// A group with a bad build: the others still land, numbered without a gap.
			bad := []*createReq{
				{build: &model.Build{RepoID: a.ID}, done: make(chan error, 1)},
				{build: &model.Build{RepoID: 999999}, done: make(chan error, 1)},
				{build: &model.Build{RepoID: a.ID}, done: make(chan error, 1)},
			}
			s.writeGroup(bad)
			if e0, e1, e2 := <-bad[0].done, <-bad[1].done, <-bad[2].done; e0 != nil || !errors.Is(e1, ErrNotFound) || e2 != nil {
				t.Errorf("got %v, %v, %v; want only the unknown repository to fail", e0, e1, e2)
			}
			if bad[0].build.Number != 4 || bad[2].build.Number != 5 {
				t.Errorf("numbers after a failed group: got %d and %d, want 4 and 5", bad[0].build.Number, bad[2].build.Number)
			}
		})
	}
}
