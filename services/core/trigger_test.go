package core

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drone/drone-go/drone"
	"github.com/drone/drone-go/plugin/config"
	"github.com/drone/drone-go/plugin/converter"
	"github.com/drone/drone-go/plugin/validator"

	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/services/core/store"
	"github.com/hangar-ci/hangar/shared/httpsig"
	"github.com/hangar-ci/hangar/shared/pipeline"
	"github.com/hangar-ci/hangar/shared/sqldb"
	"github.com/hangar-ci/hangar/shared/wire"
)

const twoPipelines = `kind: pipeline
name: a
steps:
- name: s
  image: alpine
---
kind: pipeline
name: b
depends_on: [a]
steps:
- name: s
  image: alpine
`

type fakeSCM struct {
	mu       sync.Mutex
	statuses []Status
}

func (f *fakeSCM) ReadFile(context.Context, string, string, string) ([]byte, error) {
	return nil, errors.New("ReadFile not expected")
}
func (f *fakeSCM) Commit(context.Context, string, string) (Commit, error) {
	return Commit{Message: "fetched message", AuthorEmail: "a@example.com"}, nil
}
func (f *fakeSCM) SetStatus(_ context.Context, _, _ string, s Status) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.statuses = append(f.statuses, s)
	return nil
}

type fixture struct {
	t     *triggerer
	store *store.Store
	scm   *fakeSCM
	repo  *model.Repo
}

func newFixture(t *testing.T, cfg ConfigService, conv ConvertService, val ValidateService, hook WebhookSender) *fixture {
	t.Helper()
	st, err := store.New(context.Background(), sqldb.TestDB(t, sqldb.SQLite))
	if err != nil {
		t.Fatal(err)
	}
	repo := &model.Repo{Namespace: "octo", Name: "hello", Slug: "octo/hello", SCM: "github", Active: true, Config: ".drone.yml", Secret: strings.Repeat("k", 32)}
	if err := st.CreateRepo(context.Background(), repo); err != nil {
		t.Fatal(err)
	}
	f := &fakeSCM{}
	return &fixture{store: st, scm: f, repo: repo, t: &triggerer{
		store: st, config: cfg, convert: conv, validate: val, scms: func(string) SCM { return f },
		sched: discardScheduler{}, webhook: hook,
		statuses: &statusSender{scms: func(string) SCM { return f }, name: "continuous-integration/drone", link: "https://ci"},
		now:      func() time.Time { return time.Unix(1700000000, 0) },
	}}
}

func constConfig(data string) ConfigService {
	return &fakeConfig{find: func(*config.Request) (*drone.Config, error) { return &drone.Config{Data: data}, nil }}
}

func pushHook() *model.Hook {
	return &model.Hook{Trigger: "@hook", Event: "push", Ref: "refs/heads/main", Target: "main", Source: "main", After: "abc", Message: "msg"}
}

// TestTriggerOutcomes checks Drone's outcome for each extension answer.
func TestTriggerOutcomes(t *testing.T) {
	t.Parallel()
	passConvert := &fakeConvert{convert: func(*converter.Request) (*drone.Config, error) { return nil, nil }}
	passValidate := &fakeValidate{validate: func(*validator.Request) error { return nil }}
	tests := []struct {
		name       string
		cfg        ConfigService
		conv       ConvertService
		val        ValidateService
		wantErr    bool   // no build, an error for the hook
		wantNone   bool   // no build, no error
		wantStatus string // build status
		wantError  string // build error substring
		wantStages []string
	}{
		{name: "config error aborts", cfg: &fakeConfig{find: func(*config.Request) (*drone.Config, error) {
			return nil, &drone.Error{Code: 500, Message: "config repo down"}
		}}, conv: passConvert, val: passValidate, wantErr: true},
		{name: "convert error is an error build", cfg: constConfig(twoPipelines), conv: &fakeConvert{convert: func(*converter.Request) (*drone.Config, error) {
			return nil, &drone.Error{Code: 422, Message: "starlark: main: undefined\n"}
		}}, val: passValidate, wantStatus: "error", wantError: "starlark: main: undefined"},
		{name: "validator refusal is an error build", cfg: constConfig(twoPipelines), conv: passConvert, val: &fakeValidate{validate: func(*validator.Request) error {
			return &drone.Error{Code: 400, Message: `{"code":400,"message":"image alpine denied"}`}
		}}, wantStatus: "error", wantError: "image alpine denied"},
		{name: "validator skip creates nothing", cfg: constConfig(twoPipelines), conv: passConvert, val: &fakeValidate{validate: func(*validator.Request) error {
			return validator.ErrSkip
		}}, wantNone: true},
		{name: "validator block blocks every stage", cfg: constConfig(twoPipelines), conv: passConvert, val: &fakeValidate{validate: func(*validator.Request) error {
			return validator.ErrBlock
		}}, wantStatus: "pending", wantStages: []string{"a:blocked", "b:blocked"}},
		{name: "converted config is used", cfg: constConfig("kind: pipeline\nname: raw\nsteps:\n- name: s\n  image: alpine\n"), conv: &fakeConvert{convert: func(*converter.Request) (*drone.Config, error) {
			return &drone.Config{Data: twoPipelines}, nil
		}}, val: passValidate, wantStatus: "pending", wantStages: []string{"a:pending", "b:waiting_on_dependencies"}},
		{name: "parse error", cfg: constConfig("kind: pipeline\nsteps: {\n"), conv: passConvert, val: passValidate, wantStatus: "error", wantError: "yaml"},
		{name: "no matching pipeline", cfg: constConfig("kind: pipeline\nname: x\nsteps:\n- name: s\n  image: alpine\ntrigger:\n  branch: [release]\n"), conv: passConvert, val: passValidate, wantNone: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, tc.cfg, tc.conv, tc.val, noWebhook{})
			b, stages, err := f.t.trigger(context.Background(), f.repo, pushHook())
			n, _ := f.store.CountBuilds(context.Background(), f.repo.ID)
			switch {
			case tc.wantErr:
				var ce *errConfig
				if !errors.As(err, &ce) || b != nil || n != 0 {
					t.Errorf("got build %v, error %v, %d stored; want a config error and nothing stored", b, err, n)
				}
				return
			case err != nil:
				t.Fatal(err)
			case tc.wantNone:
				if b != nil || n != 0 {
					t.Errorf("got build %+v, %d stored; want none", b, n)
				}
				return
			}
			if b == nil || b.Status != tc.wantStatus || !strings.Contains(b.Error, tc.wantError) || n != 1 {
				t.Fatalf("got %+v (%d stored), want one %s build with error containing %q", b, n, tc.wantStatus, tc.wantError)
			}
			var got []string
			for _, s := range stages {
				got = append(got, s.Name+":"+s.Status)
			}
			if strings.Join(got, ",") != strings.Join(tc.wantStages, ",") {
				t.Errorf("stages: got %v, want %v", got, tc.wantStages)
			}
			if tc.wantStatus == "error" && len(f.scm.statuses) != 0 {
				t.Errorf("error build set statuses %+v, want none", f.scm.statuses)
			}
		})
	}
}

// TestTriggerProtected blocks every stage of an unsigned pipeline on a
// protected repository and runs a correctly signed one.
func TestTriggerProtected(t *testing.T) {
	t.Parallel()
	m, err := pipeline.Parse([]byte(twoPipelines))
	if err != nil {
		t.Fatal(err)
	}
	hmac, err := m.Sign([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	signed := twoPipelines + "---\nkind: signature\nhmac: " + hmac + "\n"
	pass := &fakeConvert{convert: func(*converter.Request) (*drone.Config, error) { return nil, nil }}
	ok := &fakeValidate{validate: func(*validator.Request) error { return nil }}
	for _, tc := range []struct {
		data string
		want string
	}{{twoPipelines, "blocked"}, {signed, "pending"}} {
		f := newFixture(t, constConfig(tc.data), pass, ok, noWebhook{})
		f.repo.Protected = true
		_, stages, err := f.t.trigger(context.Background(), f.repo, pushHook())
		if err != nil || len(stages) != 2 || stages[0].Status != tc.want {
			t.Errorf("got %d stages (first %+v), %v; want the first %s", len(stages), stages, err, tc.want)
		}
	}
}

// TestTriggerWebhookAndStatus sends build:created signed as the Drone
// server signs it and a pending commit status, and fills an empty message
// from the commit.
func TestTriggerWebhookAndStatus(t *testing.T) {
	t.Parallel()
	v, err := httpsig.NewVerifier("hook-secret-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan wire.WebhookPayload, 1)
	srv := httptest.NewServer(v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p wire.WebhookPayload
		if r.Header.Get("X-Drone-Event") != "build" || wire.Decode(r, &p) != nil {
			http.Error(w, "bad", 400)
			return
		}
		got <- p
	})))
	defer srv.Close()
	sender := &webhookSender{endpoints: []string{srv.URL}, secret: "hook-secret-0123456789", hc: newHTTPClient(), timeout: time.Minute,
		system: &wire.System{Proto: "https", Host: "ci", Link: "https://ci"}}
	f := newFixture(t, constConfig(twoPipelines), &fakeConvert{convert: func(*converter.Request) (*drone.Config, error) { return nil, nil }},
		&fakeValidate{validate: func(*validator.Request) error { return nil }}, sender)
	h := pushHook()
	h.Message = ""
	b, _, err := f.t.trigger(context.Background(), f.repo, h)
	if err != nil {
		t.Fatal(err)
	}
	if b.Message != "fetched message" || b.AuthorEmail != "a@example.com" {
		t.Errorf("enrichment: got message %q email %q, want the commit's", b.Message, b.AuthorEmail)
	}
	select {
	case p := <-got:
		if p.Event != "build" || p.Action != "created" || p.Build.Number != 1 || p.Repo.Slug != "octo/hello" || p.System.Link != "https://ci" {
			t.Errorf("webhook: got %+v, want build:created for octo/hello #1 with system", p)
		}
	default:
		t.Error("no webhook received")
	}
	want := Status{State: "pending", Label: "continuous-integration/drone/push", Desc: "Build is pending", Target: "https://ci/octo/hello/1"}
	if len(f.scm.statuses) != 1 || f.scm.statuses[0] != want {
		t.Errorf("statuses: got %+v, want [%+v]", f.scm.statuses, want)
	}
}

// TestTriggerPullRequestPolicy skips pull requests a repository ignores
// and those from forks when it ignores forks.
func TestTriggerPullRequestPolicy(t *testing.T) {
	t.Parallel()
	pass := &fakeConvert{convert: func(*converter.Request) (*drone.Config, error) { return nil, nil }}
	ok := &fakeValidate{validate: func(*validator.Request) error { return nil }}
	for _, tc := range []struct {
		ignorePulls, ignoreForks bool
		fork                     string
		want                     bool
	}{
		{false, false, "someone/hello", true},
		{true, false, "octo/hello", false},
		{false, true, "someone/hello", false},
		{false, true, "OCTO/Hello", true},
	} {
		f := newFixture(t, constConfig(twoPipelines), pass, ok, noWebhook{})
		f.repo.IgnorePulls, f.repo.IgnoreForks = tc.ignorePulls, tc.ignoreForks
		h := &model.Hook{Trigger: "@hook", Event: "pull_request", Action: "opened", Ref: "refs/pull/1/head", Target: "main", Fork: tc.fork, After: "abc", Message: "m"}
		b, _, err := f.t.trigger(context.Background(), f.repo, h)
		if err != nil || (b != nil) != tc.want {
			t.Errorf("%+v: got build %v, %v; want a build %v", tc, b != nil, err, tc.want)
		}
	}
}
