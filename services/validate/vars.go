package validate

import (
	"reflect"
	"strings"

	"github.com/hangar-ci/hangar/shared/pipeline"
)

// objectMap turns a drone-go struct (drone.Build, drone.Repo) into the map
// CEL rules see: keys are the JSON names, numbers are int64, nested objects
// and lists of objects are left out.
func objectMap(v any) map[string]any {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		rv = rv.Elem()
	}
	rt := rv.Type()
	out := make(map[string]any, rt.NumField())
	for i := 0; i < rt.NumField(); i++ {
		f := rt.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "" || name == "-" {
			continue
		}
		fv := rv.Field(i)
		switch fv.Kind() {
		case reflect.String:
			out[name] = fv.String()
		case reflect.Bool:
			out[name] = fv.Bool()
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			out[name] = fv.Int()
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			out[name] = int64(fv.Uint())
		case reflect.Map:
			if m, ok := fv.Interface().(map[string]string); ok {
				out[name] = stringMap(m)
			}
		}
	}
	return out
}

func stringMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Shared empty values: CEL never modifies its inputs, and most steps have
// no ports, mounts, settings or resources, so one value serves them all.
var (
	noList      = []any{}
	noMap       = map[string]any{}
	noQuantity  = map[string]any{"cpu": "", "memory": ""}
	noResources = map[string]any{"limits": noQuantity, "requests": noQuantity}
)

// anyList converts a string list for CEL.
func anyList(s []string) []any {
	if len(s) == 0 {
		return noList
	}
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// pipelineMap is what CEL rules see as `pipeline`.
func pipelineMap(p *pipeline.Pipeline) map[string]any {
	names := func(cs []*pipeline.Container) []any {
		out := make([]any, len(cs))
		for i, c := range cs {
			out[i] = c.Name
		}
		return out
	}
	volumes := make([]any, len(p.Volumes))
	for i, v := range p.Volumes {
		vm := map[string]any{"name": v.Name, "host": "", "temp": v.Temp != nil, "medium": ""}
		if v.Host != nil {
			vm["host"] = v.Host.Path
		}
		if v.Temp != nil {
			vm["medium"] = v.Temp.Medium
		}
		volumes[i] = vm
	}
	return map[string]any{
		"name": p.Name, "kind": p.Kind, "type": p.Type,
		"platform":   map[string]any{"os": p.Platform.OS, "arch": p.Platform.Arch, "variant": p.Platform.Variant, "version": p.Platform.Version},
		"depends_on": anyList(p.DependsOn),
		"node":       stringMap(p.Node),
		"steps":      names(p.Steps),
		"services":   names(p.Services),
		"volumes":    volumes,
		"clone":      map[string]any{"disable": p.Clone.Disable, "depth": int64(p.Clone.Depth)},
	}
}

// stepMap is what CEL rules see as `step` (steps and services alike;
// `service` tells them apart). Environment values that come from secrets
// appear as "" and their names under `secrets`, so no rule sees a value
// it could leak into a message.
func stepMap(c *pipeline.Container, service bool) map[string]any {
	env, secrets, settings := noMap, noList, noList
	if len(c.Environment) > 0 {
		env = make(map[string]any, len(c.Environment))
	}
	for k, v := range c.Environment {
		if v == nil {
			continue
		}
		env[k] = v.Value
		if v.FromSecret != "" {
			secrets = append(secrets[:len(secrets):len(secrets)], v.FromSecret)
		}
	}
	if len(c.Settings) > 0 {
		settings = make([]any, 0, len(c.Settings))
	}
	for k, v := range c.Settings {
		settings = append(settings, k)
		if v != nil && v.FromSecret != "" {
			secrets = append(secrets[:len(secrets):len(secrets)], v.FromSecret)
		}
	}
	ports, mounts := noList, noList
	if len(c.Ports) > 0 {
		ports = make([]any, len(c.Ports))
	}
	for i, p := range c.Ports {
		ports[i] = map[string]any{"port": int64(p.Port), "host": int64(p.Host), "protocol": p.Protocol}
	}
	if len(c.Volumes) > 0 {
		mounts = make([]any, len(c.Volumes))
	}
	for i, m := range c.Volumes {
		mounts[i] = map[string]any{"name": m.Name, "path": m.Path}
	}
	resources := noResources
	if c.Resources != nil {
		limits, requests := noQuantity, noQuantity
		if l := c.Resources.Limits; l != nil {
			limits = map[string]any{"cpu": l.CPU, "memory": l.Memory}
		}
		if r := c.Resources.Requests; r != nil {
			requests = map[string]any{"cpu": r.CPU, "memory": r.Memory}
		}
		resources = map[string]any{"limits": limits, "requests": requests}
	}
	return map[string]any{
		"name": c.Name, "image": c.Image, "pull": c.Pull, "service": service,
		"privileged": c.Privileged, "detach": c.Detach, "failure": c.Failure,
		"network_mode": c.Network, "user": c.User, "shell": c.Shell, "working_dir": c.WorkingDir,
		"commands": anyList(c.Commands), "command": anyList(c.Command), "entrypoint": anyList(c.Entrypoint),
		"depends_on": anyList(c.DependsOn), "dns": anyList(c.DNS), "extra_hosts": anyList(c.ExtraHosts),
		"devices":     int64(len(c.Devices)),
		"environment": env, "secrets": secrets, "settings": settings,
		"ports": ports, "volumes": mounts,
		"resources": resources,
	}
}
