package core

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drone/drone-go/drone"
	"github.com/drone/drone-go/plugin/config"
	"github.com/drone/drone-go/plugin/converter"
	"github.com/drone/drone-go/plugin/logger"
	"github.com/drone/drone-go/plugin/validator"

	"github.com/hangar-ci/hangar/shared/lru"
	"github.com/hangar-ci/hangar/shared/wire"
)

const extSecret = "ext-secret-0123456789abcdef0123456789"

// Fakes with function fields; an unset field answers "not expected".
type fakeConfig struct {
	find func(*config.Request) (*drone.Config, error)
}

func (f *fakeConfig) Find(_ context.Context, r *config.Request) (*drone.Config, error) {
	if f.find == nil {
		return nil, errors.New("Find not expected")
	}
	return f.find(r)
}

type fakeConvert struct {
	convert func(*converter.Request) (*drone.Config, error)
}

func (f *fakeConvert) Convert(_ context.Context, r *converter.Request) (*drone.Config, error) {
	if f.convert == nil {
		return nil, errors.New("Convert not expected")
	}
	return f.convert(r)
}

type fakeValidate struct {
	validate func(*validator.Request) error
}

func (f *fakeValidate) Validate(_ context.Context, r *validator.Request) error {
	if f.validate == nil {
		return errors.New("Validate not expected")
	}
	return f.validate(r)
}

var fastPolicy = callPolicy{timeout: 5 * time.Second, retries: 2, backoff: time.Millisecond}

// serve runs h and counts the requests it gets.
func serve(t *testing.T, h http.Handler) (string, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s.URL, &n
}

func sampleRequest() (drone.Repo, drone.Build) {
	return drone.Repo{ID: 7, Slug: "octo/hello", Namespace: "octo", Name: "hello", Config: ".drone.yml"},
		drone.Build{Event: "push", Ref: "refs/heads/main", After: "abc123", Target: "main"}
}

// TestExtensionsAgainstDroneHandlers calls drone-go v1.7.1's own handlers:
// whatever a Drone extension built on drone-go accepts, Hangar's clients
// send, and they read every answer as the Drone server does.
func TestExtensionsAgainstDroneHandlers(t *testing.T) {
	t.Parallel()
	hc := newHTTPClient()
	repo, build := sampleRequest()
	ctx := context.Background()

	t.Run("config", func(t *testing.T) {
		t.Parallel()
		url, _ := serve(t, config.Handler(&fakeConfig{find: func(r *config.Request) (*drone.Config, error) {
			if r.Repo.Slug != "octo/hello" || r.Build.After != "abc123" {
				return nil, errors.New("wrong request")
			}
			return &drone.Config{Data: "kind: pipeline\n"}, nil
		}}, extSecret, logger.Discard()))
		c := &remoteConfig{c: newExtClient(url, extSecret, wire.ConfigV1, hc), policy: fastPolicy}
		got, err := c.Find(ctx, &config.Request{Repo: repo, Build: build})
		if err != nil || got == nil || got.Data != "kind: pipeline\n" {
			t.Errorf("got %+v, %v; want the pipeline", got, err)
		}
		none, _ := serve(t, config.Handler(&fakeConfig{find: func(*config.Request) (*drone.Config, error) { return nil, nil }}, extSecret, logger.Discard()))
		c = &remoteConfig{c: newExtClient(none, extSecret, wire.ConfigV1, hc), policy: fastPolicy}
		if got, err := c.Find(ctx, &config.Request{Repo: repo, Build: build}); err != nil || got != nil {
			t.Errorf("204: got %+v, %v; want nil, nil", got, err)
		}
		c = &remoteConfig{c: newExtClient(url, "wrong-secret", wire.ConfigV1, hc), policy: fastPolicy}
		var de *drone.Error
		if _, err := c.Find(ctx, &config.Request{Repo: repo, Build: build}); !errors.As(err, &de) || de.Code != http.StatusBadRequest {
			t.Errorf("wrong secret: got %v, want drone-go's 400", err)
		}
	})

	t.Run("convert", func(t *testing.T) {
		t.Parallel()
		url, _ := serve(t, converter.Handler(&fakeConvert{convert: func(r *converter.Request) (*drone.Config, error) {
			return &drone.Config{Data: "converted: " + r.Config.Data}, nil
		}}, extSecret, logger.Discard()))
		c := &remoteConvert{c: newExtClient(url, extSecret, wire.ConvertV1, hc), policy: fastPolicy}
		got, err := c.Convert(ctx, &converter.Request{Repo: repo, Build: build, Config: drone.Config{Data: "x"}})
		if err != nil || got == nil || got.Data != "converted: x" {
			t.Errorf("got %+v, %v; want the converted config", got, err)
		}
		c.suffix = ".star"
		if got, err := c.Convert(ctx, &converter.Request{Repo: repo, Build: build}); got != nil || err != nil {
			t.Errorf("DRONE_CONVERT_PLUGIN_EXTENSION filter: got %+v, %v; want no call", got, err)
		}
	})

	t.Run("validate", func(t *testing.T) {
		t.Parallel()
		for _, tc := range []struct {
			answer error
			want   func(error) bool
		}{
			{nil, func(err error) bool { return err == nil }},
			{validator.ErrSkip, func(err error) bool { return err == validator.ErrSkip }},
			{validator.ErrBlock, func(err error) bool { return err == validator.ErrBlock }},
			{errors.New("image not allowed"), func(err error) bool {
				var de *drone.Error
				return errors.As(err, &de) && de.Code == 400 && strings.Contains(extensionError(err), "image not allowed")
			}},
		} {
			url, n := serve(t, validator.Handler(extSecret, &fakeValidate{validate: func(*validator.Request) error { return tc.answer }}, logger.Discard()))
			c := &remoteValidate{c: newExtClient(url, extSecret, wire.ValidateV1, hc), policy: fastPolicy}
			err := c.Validate(ctx, &validator.Request{Repo: repo, Build: build})
			if !tc.want(err) {
				t.Errorf("plugin answer %v: got %v", tc.answer, err)
			}
			if n.Load() != 1 {
				t.Errorf("plugin answer %v: got %d calls, want 1 (decisions are never retried)", tc.answer, n.Load())
			}
		}
	})
}

// TestExtensionRetries retries network errors and 5xx only.
func TestExtensionRetries(t *testing.T) {
	t.Parallel()
	hc := newHTTPClient()
	repo, build := sampleRequest()
	for _, tc := range []struct {
		name      string
		statuses  []int // answered in order, the last one repeated
		wantCalls int64
		wantErr   bool
	}{
		{"5xx then success", []int{503, 502, 200}, 3, false},
		{"5xx every time", []int{500}, 3, true},
		{"4xx not retried", []int{404}, 1, true},
		{"empty 200 is an error", []int{299}, 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var i atomic.Int64
			url, n := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				k := min(int(i.Add(1))-1, len(tc.statuses)-1)
				switch s := tc.statuses[k]; s {
				case 200:
					w.Write([]byte(`{"data":"kind: pipeline"}`))
				case 299:
					w.WriteHeader(200) // a 200 with an empty body
				default:
					http.Error(w, "backend down", s)
				}
			}))
			c := &remoteConfig{c: newExtClient(url, extSecret, wire.ConfigV1, hc), policy: fastPolicy}
			_, err := c.Find(context.Background(), &config.Request{Repo: repo, Build: build})
			if (err != nil) != tc.wantErr {
				t.Errorf("got error %v, want error %v", err, tc.wantErr)
			}
			if n.Load() != tc.wantCalls {
				t.Errorf("calls: got %d, want %d", n.Load(), tc.wantCalls)
			}
		})
	}
	t.Run("network error retried", func(t *testing.T) {
		t.Parallel()
		s := httptest.NewServer(http.NotFoundHandler())
		url := s.URL
		s.Close() // nothing listens any more
		calls := 0
		p := fastPolicy
		err := p.run(context.Background(), func(ctx context.Context) error {
			calls++
			_, err := newExtClient(url, extSecret, wire.ConfigV1, hc).do(ctx, struct{}{}, nil)
			return err
		})
		if err == nil || calls != 3 {
			t.Errorf("got %v after %d calls, want an error after 3", err, calls)
		}
	})
	t.Run("timeout per call", func(t *testing.T) {
		t.Parallel()
		release := make(chan struct{})
		url, _ := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}))
		t.Cleanup(func() { close(release) }) // runs before the server closes
		c := &remoteConfig{c: newExtClient(url, extSecret, wire.ConfigV1, hc), policy: callPolicy{timeout: 20 * time.Millisecond}}
		if _, err := c.Find(context.Background(), &config.Request{Repo: repo, Build: build}); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("got %v, want a deadline error", err)
		}
	})
}

// TestConfigMemo answers a second request for the same commit from memory.
func TestConfigMemo(t *testing.T) {
	t.Parallel()
	var calls atomic.Int64
	m := &memoConfig{next: &fakeConfig{find: func(*config.Request) (*drone.Config, error) {
		calls.Add(1)
		return &drone.Config{Data: "x"}, nil
	}}, cache: lru.New[string, *drone.Config](10, 0)}
	repo, build := sampleRequest()
	for range 3 {
		if _, err := m.Find(context.Background(), &config.Request{Repo: repo, Build: build}); err != nil {
			t.Fatal(err)
		}
	}
	build.After = "def456"
	m.Find(context.Background(), &config.Request{Repo: repo, Build: build})
	if calls.Load() != 2 {
		t.Errorf("extension calls: got %d, want 2 (one per commit)", calls.Load())
	}
}
