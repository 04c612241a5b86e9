package convert

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/drone/drone-go/drone"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
)

// field is one value a script sees of the build or the repository: a
// string or a bool. The same table feeds ctx.build/ctx.repo (Starlark),
// the build.*/repo.* external variables (Jsonnet) and the cache key, so a
// field a script can read is always part of the key.
type field struct {
	name string
	str  string
	flag bool
	bool bool // the value is flag, not str
}

func s(name, v string) field { return field{name: name, str: v} }
func b(name string, v bool) field {
	return field{name: name, flag: v, bool: true}
}

// buildFields are ctx.build's fields, named as in Drone's converter.
func buildFields(v drone.Build) []field {
	return []field{
		s("event", v.Event), s("action", v.Action), s("cron", v.Cron),
		s("environment", v.Deploy), s("link", v.Link), s("branch", v.Target),
		s("source", v.Source), s("before", v.Before), s("after", v.After),
		s("target", v.Target), s("ref", v.Ref), s("commit", v.After),
		s("title", v.Title), s("message", v.Message), s("source_repo", v.Fork),
		s("author_login", v.Author), s("author_name", v.AuthorName),
		s("author_email", v.AuthorEmail), s("author_avatar", v.AuthorAvatar),
		s("sender", v.Sender), b("debug", v.Debug),
	}
}

// repoFields are ctx.repo's fields, named as in Drone's converter.
func repoFields(v drone.Repo) []field {
	return []field{
		s("uid", v.UID), s("name", v.Name), s("namespace", v.Namespace),
		s("slug", repoSlug(v)), s("git_http_url", v.HTTPURL), s("git_ssh_url", v.SSHURL),
		s("link", v.Link), s("branch", v.Branch), s("config", v.Config),
		b("private", v.Private), s("visibility", v.Visibility), b("active", v.Active),
		b("trusted", v.Trusted), b("protected", v.Protected),
		b("ignore_forks", v.IgnoreForks), b("ignore_pull_requests", v.IgnorePulls),
	}
}

func starlarkFields(fs []field) starlark.StringDict {
	d := make(starlark.StringDict, len(fs)+1)
	for _, f := range fs {
		if f.bool {
			d[f.name] = starlark.Bool(f.flag)
		} else {
			d[f.name] = starlark.String(f.str)
		}
	}
	return d
}

// contextValue is the ctx argument of main: ctx.build, ctx.repo, ctx.input.
func contextValue(in Input) starlark.Value {
	build := starlarkFields(buildFields(in.Build))
	params := starlark.NewDict(len(in.Build.Params))
	for _, k := range slices.Sorted(maps.Keys(in.Build.Params)) {
		params.SetKey(starlark.String(k), starlark.String(in.Build.Params[k]))
	}
	build["params"] = params
	input := make(starlark.StringDict, len(in.Params))
	for k, v := range in.Params {
		input[k] = toStarlark(v)
	}
	return starlarkstruct.FromStringDict(starlark.String("context"), starlark.StringDict{
		"build": starlarkstruct.FromStringDict(starlark.String("build"), build),
		"repo":  starlarkstruct.FromStringDict(starlark.String("repo"), starlarkFields(repoFields(in.Repo))),
		"input": starlarkstruct.FromStringDict(starlark.String("input"), input),
	})
}

// toStarlark converts a template parameter (decoded JSON or YAML) into a
// Starlark value.
func toStarlark(v any) starlark.Value {
	switch v := v.(type) {
	case nil:
		return starlark.None
	case bool:
		return starlark.Bool(v)
	case string:
		return starlark.String(v)
	case int:
		return starlark.MakeInt(v)
	case int64:
		return starlark.MakeInt64(v)
	case float64:
		if v == float64(int64(v)) {
			return starlark.MakeInt64(int64(v))
		}
		return starlark.Float(v)
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return starlark.MakeInt64(i)
		}
		f, _ := v.Float64()
		return starlark.Float(f)
	case []any:
		l := make([]starlark.Value, len(v))
		for i, e := range v {
			l[i] = toStarlark(e)
		}
		return starlark.NewList(l)
	case map[string]any:
		d := starlark.NewDict(len(v))
		for _, k := range slices.Sorted(maps.Keys(v)) {
			d.SetKey(starlark.String(k), toStarlark(v[k]))
		}
		return d
	}
	return starlark.String(fmt.Sprint(v))
}
