package main

import (
	"github.com/hangar-ci/hangar/services/config"
	"github.com/hangar-ci/hangar/services/convert"
	"github.com/hangar-ci/hangar/services/core"
	"github.com/hangar-ci/hangar/services/registry"
	"github.com/hangar-ci/hangar/services/secret"
	"github.com/hangar-ci/hangar/services/validate"
	"github.com/hangar-ci/hangar/services/webhook"
	"github.com/hangar-ci/hangar/services/woodpecker"
	"github.com/hangar-ci/hangar/shared/envconf"
	"github.com/hangar-ci/hangar/shared/server"
)

// builder makes one service from the environment.
type builder func(envconf.Lookup, server.Env) (*server.Service, error)

// builders lists every service, in the order `hangar all` starts them.
var builders = []struct {
	name  string
	build builder
}{
	{config.Name, config.FromEnv},
	{convert.Name, convert.FromEnv},
	{validate.Name, validate.FromEnv},
	{webhook.Name, webhook.FromEnv},
	{secret.Name, secret.FromEnv},
	{registry.Name, registry.FromEnv},
	{woodpecker.Name, woodpecker.FromEnv},
	{core.Name, core.FromEnv},
}

func builderFor(name string) (builder, bool) {
	for _, b := range builders {
		if b.name == name {
			return b.build, true
		}
	}
	return nil, false
}

func names() []string {
	out := make([]string, len(builders))
	for i, b := range builders {
		out[i] = b.name
	}
	return out
}
