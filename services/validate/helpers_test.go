package validate

import (
	"context"
	"testing"

	"github.com/drone/drone-go/drone"
	"github.com/drone/drone-go/plugin/validator"

	"github.com/hangar-ci/hangar/shared/httpsig"
	"github.com/hangar-ci/hangar/shared/servicetest"
	"github.com/hangar-ci/hangar/shared/tree"
)

const testSecret = "correct-horse-battery-staple-0123"

// fixture is a running validate service over a config repository in a
// temporary directory.
type fixture struct {
	url  string
	dir  string
	tree *tree.Dir
	logs *servicetest.Logs
}

// start runs the service through the real server stack on 127.0.0.1:0
// with policy (nothing written when empty) as _hangar/policy.yaml.
func start(t testing.TB, policy string) *fixture {
	t.Helper()
	return startWith(t, policy, func(*Options) {})
}

// startWith is start with options changed by edit.
func startWith(t testing.TB, policy string, edit func(*Options)) *fixture {
	t.Helper()
	f := &fixture{dir: t.TempDir(), logs: &servicetest.Logs{}}
	if policy != "" {
		f.writePolicy(t, policy)
	} else {
		servicetest.WriteFiles(t, f.dir, map[string]string{"default.yaml": "kind: pipeline\n"})
	}
	env := servicetest.Env(nil, f.logs)
	d, err := tree.NewDir(f.dir, env.Logger)
	if err != nil {
		t.Fatal(err)
	}
	f.tree, env.Repo = d, d
	opts := Options{Signature: httpsig.Settings{Secret: testSecret}, Lint: true, CacheEntries: 16, CacheBytes: 4 << 20, ParseWait: DefaultParseWait}
	edit(&opts)
	svc, err := New(opts, env)
	if err != nil {
		t.Fatal(err)
	}
	f.url = servicetest.Start(t, svc, env)
	return f
}

func (f *fixture) writePolicy(t testing.TB, policy string) {
	t.Helper()
	servicetest.WriteFiles(t, f.dir, map[string]string{"_hangar/policy.yaml": policy})
	if f.tree != nil {
		if err := f.tree.Reload(); err != nil {
			t.Fatal(err)
		}
	}
}

// validate sends yaml for a build of repo through drone-go's own client.
func (f *fixture) validate(t *testing.T, yaml string, build drone.Build, repo drone.Repo) error {
	t.Helper()
	c := validator.Client(f.url, testSecret, false)
	return c.Validate(context.Background(), &validator.Request{Build: build, Repo: repo, Config: drone.Config{Data: yaml}})
}

func pushBuild() drone.Build {
	return drone.Build{Event: "push", Ref: "refs/heads/main", Target: "main", Source: "main", After: "abc123", Trigger: "@hook", Status: "pending"}
}

func repoOf(slug string, trusted bool) drone.Repo {
	ns, name, _ := cut(slug)
	return drone.Repo{Namespace: ns, Name: name, Slug: slug, Trusted: trusted, Config: ".drone.yml", Active: true}
}

func cut(slug string) (string, string, bool) {
	for i := len(slug) - 1; i >= 0; i-- {
		if slug[i] == '/' {
			return slug[:i], slug[i+1:], true
		}
	}
	return "", slug, false
}
