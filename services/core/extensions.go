package core

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/drone/drone-go/drone"
	"github.com/drone/drone-go/plugin/config"
	"github.com/drone/drone-go/plugin/converter"
	"github.com/drone/drone-go/plugin/validator"

	"github.com/hangar-ci/hangar/shared/lru"
	"github.com/hangar-ci/hangar/shared/scm"
	"github.com/hangar-ci/hangar/shared/wire"
)

// ConfigService finds a build's raw pipeline; a nil config or empty data
// means "no answer".
type ConfigService interface {
	Find(ctx context.Context, req *config.Request) (*drone.Config, error)
}

// ConvertService turns a pipeline into YAML; nil or empty data means "no
// change".
type ConvertService interface {
	Convert(ctx context.Context, req *converter.Request) (*drone.Config, error)
}

// ValidateService accepts a pipeline (nil), skips it (validator.ErrSkip),
// blocks it (validator.ErrBlock) or refuses it (any other error).
type ValidateService interface {
	Validate(ctx context.Context, req *validator.Request) error
}

// remoteConfig is the config extension over HTTP.
type remoteConfig struct {
	c      *extClient
	policy callPolicy
}

func (r *remoteConfig) Find(ctx context.Context, req *config.Request) (*drone.Config, error) {
	var out *drone.Config
	err := r.policy.run(ctx, func(ctx context.Context) error {
		out = new(drone.Config)
		none, err := r.c.do(ctx, req, out)
		if none {
			out = nil
		}
		return err
	})
	return out, err
}

// remoteConvert is the convert extension over HTTP.
type remoteConvert struct {
	c      *extClient
	policy callPolicy
	// suffix, when set, limits conversion to config paths ending with it
	// (DRONE_CONVERT_PLUGIN_EXTENSION).
	suffix string
}

func (r *remoteConvert) Convert(ctx context.Context, req *converter.Request) (*drone.Config, error) {
	if r.suffix != "" && !strings.HasSuffix(req.Repo.Config, r.suffix) {
		return nil, nil
	}
	var out *drone.Config
	err := r.policy.run(ctx, func(ctx context.Context) error {
		out = new(drone.Config)
		none, err := r.c.do(ctx, req, out)
		if none {
			out = nil
		}
		return err
	})
	return out, err
}

// remoteValidate is the validate extension over HTTP; 498 and 499 become
// drone-go's own sentinels, returned unwrapped.
type remoteValidate struct {
	c      *extClient
	policy callPolicy
}

func (r *remoteValidate) Validate(ctx context.Context, req *validator.Request) error {
	err := r.policy.run(ctx, func(ctx context.Context) error {
		_, err := r.c.do(ctx, req, nil)
		return err
	})
	var de *drone.Error
	if errors.As(err, &de) {
		switch de.Code {
		case 498:
			return validator.ErrSkip
		case 499:
			return validator.ErrBlock
		}
	}
	return err
}

// memoConfig caches answers per commit: repo id, event, action, ref,
// commit and config path (Drone's key without the build's creation time,
// so a redelivered hook is answered from memory). Only answers for a known
// commit are kept; errors never are.
type memoConfig struct {
	next  ConfigService
	cache *lru.Cache[string, *drone.Config]
}

func commitKey(r drone.Repo, b drone.Build) string {
	return fmt.Sprintf("%d|%s|%s|%s|%s|%s", r.ID, b.Event, b.Action, b.Ref, b.After, r.Config)
}

func (m *memoConfig) Find(ctx context.Context, req *config.Request) (*drone.Config, error) {
	if req.Build.After == "" {
		return m.next.Find(ctx, req)
	}
	key := commitKey(req.Repo, req.Build)
	if c, ok := m.cache.Get(key); ok {
		return c, nil
	}
	c, err := m.next.Find(ctx, req)
	if err == nil {
		m.cache.Add(key, c, configSize(c))
	}
	return c, err
}

// memoConvert caches conversions per commit and input content.
type memoConvert struct {
	next  ConvertService
	cache *lru.Cache[string, *drone.Config]
}

func (m *memoConvert) Convert(ctx context.Context, req *converter.Request) (*drone.Config, error) {
	if req.Build.After == "" {
		return m.next.Convert(ctx, req)
	}
	key := commitKey(req.Repo, req.Build) + "|" + req.Config.Data
	if c, ok := m.cache.Get(key); ok {
		return c, nil
	}
	c, err := m.next.Convert(ctx, req)
	if err == nil {
		m.cache.Add(key, c, configSize(c))
	}
	return c, err
}

// repoFile reads the repository's own pipeline file at the commit, the
// fallback when the config extension has no answer (Drone's
// plugin/config/repo.go).
type repoFile struct {
	scms func(kind string) SCM
}

func (f *repoFile) Find(ctx context.Context, req *config.Request) (*drone.Config, error) {
	ref := req.Build.After
	if ref == "" {
		ref = req.Build.Ref
	}
	path := req.Repo.Config
	if path == "" {
		path = ".drone.yml"
	}
	data, err := f.scms(req.Repo.SCM).ReadFile(ctx, req.Repo.Slug, ref, path)
	if err != nil {
		if errors.Is(err, scm.ErrNotFound) {
			return nil, fmt.Errorf("cannot find %s in %s at %s: %w", path, req.Repo.Slug, ref, err)
		}
		return nil, err
	}
	return &drone.Config{Data: string(data), Kind: wire.ScriptKind(path)}, nil
}

// combineConfig asks each service in order; the first non-empty answer
// wins and any error stops the chain (Drone's plugin/config/combine.go).
type combineConfig []ConfigService

func (c combineConfig) Find(ctx context.Context, req *config.Request) (*drone.Config, error) {
	for _, s := range c {
		cfg, err := s.Find(ctx, req)
		if err != nil {
			return nil, err
		}
		if cfg != nil && cfg.Data != "" {
			return cfg, nil
		}
	}
	return nil, errors.New("no pipeline configuration found")
}

// noConvert and noValidate stand in for unconfigured extensions.
type noConvert struct{}

func (noConvert) Convert(context.Context, *converter.Request) (*drone.Config, error) { return nil, nil }

type noValidate struct{}

func (noValidate) Validate(context.Context, *validator.Request) error { return nil }

// extensionError is the text Drone stores for a failing extension: the raw
// answer body for a status error, else the error.
func extensionError(err error) string {
	var de *drone.Error
	if errors.As(err, &de) {
		return de.Message
	}
	return err.Error()
}

// configSize is what an answer weighs in a cache (nil: a 204 remembered).
func configSize(c *drone.Config) int64 {
	if c == nil {
		return 1
	}
	return int64(len(c.Data) + len(c.Kind))
}
