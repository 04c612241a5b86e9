package core

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drone/drone-go/drone"
	"github.com/drone/drone-go/plugin/config"
	"github.com/drone/drone-go/plugin/converter"
	"github.com/drone/drone-go/plugin/validator"

	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/services/core/store"
	"github.com/hangar-ci/hangar/shared/scm"
	"github.com/hangar-ci/hangar/shared/sqldb"
)

// benchManifest is 50 pipelines of 10 steps; with paths, pipeline i runs
// on changes under services/svcNN/** and step j on
// services/svcNN/partJ/**.
func benchManifest(paths bool) string {
	var b strings.Builder
	for i := range 50 {
		fmt.Fprintf(&b, "---\nkind: pipeline\nname: p%02d\n", i)
		if paths {
			fmt.Fprintf(&b, "trigger:\n  paths:\n    include: [services/svc%02d/**]\n    exclude: ['**/*.md']\n", i)
		}
		b.WriteString("steps:\n")
		for j := range 10 {
			fmt.Fprintf(&b, "- name: s%d\n  image: alpine\n  commands: [make]\n", j)
			if paths {
				fmt.Fprintf(&b, "  when:\n    paths: services/svc%02d/part%d/**\n", i, j)
			}
		}
	}
	return b.String()
}

// benchChanges is 5,000 files over the even services: half the pipelines match,
// and in those, half the steps.
type benchChanges struct{ files []string }

func (c benchChanges) Changes(context.Context, scm.ChangeRequest) (*scm.ChangeSet, error) {
	return &scm.ChangeSet{Files: c.files, Note: "bench"}, nil
}

func newBenchChanges() benchChanges {
	var files []string
	for i := range 5000 {
		files = append(files, fmt.Sprintf("services/svc%02d/part%d/file%04d.go", 2*(i%25), i%5, i))
	}
	slices.Sort(files) // as shared/scm lists them
	return benchChanges{files}
}

// BenchmarkTriggerPaths runs the whole trigger (parse, lint, plan, store
// the build and stages in SQLite) for 50 pipelines × 10 steps: without
// path conditions (the baseline); with a trigger path on every pipeline
// and a when path on every step but not evaluated (Drone's behaviour: the
// larger file's parse alone); and those matched against 5,000 changed
// files, the decisions stored.
func BenchmarkTriggerPaths(b *testing.B) {
	for _, tc := range []struct {
		name     string
		paths    bool // the file has path conditions
		evaluate bool // the trigger evaluates them
	}{{"without-paths", false, true}, {"paths-not-evaluated", true, false}, {"paths-5000-files", true, true}} {
		b.Run(tc.name, func(b *testing.B) {
			st, err := store.New(context.Background(), sqldb.TestDB(b, sqldb.SQLite))
			if err != nil {
				b.Fatal(err)
			}
			repo := &model.Repo{Namespace: "octo", Name: "mono", Slug: "octo/mono", SCM: "github", Branch: "main", Active: true, Config: ".drone.yml"}
			if err := st.CreateRepo(context.Background(), repo); err != nil {
				b.Fatal(err)
			}
			data := benchManifest(tc.paths)
			f := &fakeSCM{}
			t := &triggerer{
				store:    st,
				config:   &fakeConfig{find: func(*config.Request) (*drone.Config, error) { return &drone.Config{Data: data}, nil }},
				convert:  &fakeConvert{convert: func(*converter.Request) (*drone.Config, error) { return nil, nil }},
				validate: &fakeValidate{validate: func(*validator.Request) error { return nil }},
				scms:     func(string) SCM { return f },
				sched:    discardScheduler{},
				webhook:  noWebhook{},
				statuses: &statusSender{scms: func(string) SCM { return f }, disabled: true},
				now:      time.Now,
			}
			want := 50
			if tc.evaluate {
				t.paths = &pathFilter{changers: map[string]scm.Changer{"github": newBenchChanges()}, store: st}
			}
			if tc.paths && tc.evaluate {
				want = 50 / 2
			}
			b.ResetTimer()
			for range b.N {
				h := &model.Hook{Trigger: "@hook", Event: "push", Ref: "refs/heads/main", Target: "main", Before: "a", After: "b", Message: "m"}
				_, stages, err := t.trigger(context.Background(), repo, h)
				if err != nil || len(stages) != want {
					b.Fatalf("got %d stages, %v; want %d", len(stages), err, want)
				}
			}
		})
	}
}
