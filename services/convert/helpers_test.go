package convert

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/drone/drone-go/drone"
	"github.com/drone/drone-go/plugin/converter"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hangar-ci/hangar/shared/httpsig"
	"github.com/hangar-ci/hangar/shared/scm"
	"github.com/hangar-ci/hangar/shared/scm/scmtest"
	"github.com/hangar-ci/hangar/shared/servicetest"
	"github.com/hangar-ci/hangar/shared/tree"
)

const testSecret = "convert-test-secret-0123456789abcdef"

// commit is the sha the fake SCM serves the built repository at.
const commit = "0123456789abcdef0123456789abcdef01234567"

// sampleConfig is the project's own config-repo/, whose library the
// sample and golden scripts load.
func sampleConfig(t testing.TB) *tree.Dir {
	t.Helper()
	d, err := tree.NewDir("../../config-repo", servicetest.Logger(nil))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// builtRepo serves testdata/repo as octo/platform at commit through a
// fake GitHub contents API, and returns the real GitHub client over it.
func builtRepo(t testing.TB) (*scmtest.Server, RepoFiles) {
	t.Helper()
	srv := scmtest.NewGitHub(t)
	serveRepo(t, srv)
	gh, err := scm.NewGitHub(srv.URL+"/api/v3/", "test-token", srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	return srv, gh
}

// builtRepoGitLab is builtRepo through GitLab's repository files API.
func builtRepoGitLab(t testing.TB) (*scmtest.Server, RepoFiles) {
	t.Helper()
	srv := scmtest.NewGitLab(t)
	serveRepo(t, srv)
	gl, err := scm.NewGitLab(srv.URL+"/api/v4", "test-token", srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	return srv, gl
}

func serveRepo(t testing.TB, srv *scmtest.Server) {
	t.Helper()
	err := filepath.WalkDir("testdata/repo", func(p string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("testdata/repo", p)
		srv.Set("octo/platform", commit, filepath.ToSlash(rel), b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testOptions() Options {
	exe, _ := os.Executable()
	return Options{
		JsonnetWorker:   []string{exe, WorkerArg},
		Signature:       httpsig.Settings{Secret: testSecret},
		CacheSize:       DefaultCacheSize,
		ModuleCacheSize: DefaultModuleCache,
		RepoLoads:       []string{"trusted"},
	}
}

// started is a convert service on a loopback port.
type started struct {
	url string
	reg *prometheus.Registry
}

func start(t testing.TB, opts Options, config tree.Tree) started {
	t.Helper()
	return startLogging(t, opts, config, nil)
}

// startLogging is start with the service's log going to w.
func startLogging(t testing.TB, opts Options, config tree.Tree, w io.Writer) started {
	t.Helper()
	env := servicetest.Env(config, w)
	svc, err := New(opts, env)
	if err != nil {
		t.Fatal(err)
	}
	return started{servicetest.Start(t, svc, env), env.Registry}
}

// client is drone-go v1.7.1's own converter client, as the Drone server
// uses it.
func (s started) client() converter.Plugin {
	return converter.Client(s.url, testSecret, false)
}

func (s started) convert(ctx context.Context, req *converter.Request) (*drone.Config, error) {
	return s.client().Convert(ctx, req)
}

// gauge reads a gauge of the service.
func (s started) gauge(t testing.TB, name string) float64 {
	t.Helper()
	mfs, err := s.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) > 0 {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	return 0
}

// cacheCount reads the hit or miss counter.
func (s started) cacheCount(t testing.TB, result string) float64 {
	t.Helper()
	mfs, err := s.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "hangar_convert_cache_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "result" && l.GetValue() == result {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// request builds a converter request as Drone sends it during triggering.
func request(configPath, data string, event string) *converter.Request {
	b := drone.Build{
		Event: event, Trigger: "@hook", Status: drone.StatusPending,
		Ref: "refs/heads/main", Target: "main", Source: "main", After: commit,
		Fork: "octo/platform", Message: "update", Author: "octocat", Sender: "octocat",
	}
	switch event {
	case "pull_request":
		b.Ref, b.Source, b.Action = "refs/pull/42/head", "feature/login", "opened"
		b.Fork = "octo/platform"
	case "tag":
		b.Ref, b.Target, b.Source, b.Action = "refs/tags/v1.4.0", "", "", "create"
	}
	return &converter.Request{
		Build:  b,
		Repo:   drone.Repo{ID: 7, UID: "42", Namespace: "octo", Name: "platform", Slug: "octo/platform", Branch: "main", Config: configPath, Trusted: true, Active: true, Private: true, Visibility: "private", HTTPURL: "https://github.com/octo/platform.git", SSHURL: "git@github.com:octo/platform.git", Link: "https://github.com/octo/platform"},
		Config: drone.Config{Data: data},
	}
}
