package pipeline

// Drone's linter (drone-yaml v1.2.3 linter package), rule by rule and
// message by message. Each function returns the first problem found, in
// Drone's order, as an *Error that says where it is.

// LintManifest applies the manifest-level rules, the only lint the Drone
// server's trigger runs: unique pipeline names, dependencies on pipelines
// declared earlier and not on themselves, and the platform of docker
// pipelines.
func LintManifest(m *Manifest) error {
	names := make(map[string]bool)
	for _, r := range m.Resources {
		p, ok := r.(*Pipeline)
		if !ok {
			continue
		}
		fail := func(rule, msg string) error {
			return &Error{Rule: rule, Message: msg, Line: p.Line, Pipeline: p.Name}
		}
		if names[p.Name] {
			return fail("duplicate-pipeline", "linter: duplicate pipeline names")
		}
		names[p.Name] = true
		for _, dep := range p.DependsOn {
			if !names[dep] {
				return fail("pipeline-dependency", "linter: invalid or unknown pipeline dependency")
			}
			if dep == p.Name {
				return fail("pipeline-self-dependency", "linter: pipeline cannot have a dependency on itself")
			}
		}
		if p.IsDocker() {
			if err := lintPlatform(p); err != nil {
				return err
			}
		}
	}
	return nil
}

// LintResource applies the resource-level rules runners apply before they
// run a stage. trusted is the repository's trusted flag: untrusted
// repositories may not use privileged mode, devices, dns, dns_search,
// extra_hosts, network_mode, host ports, host volumes or memory volumes.
func LintResource(r Resource, trusted bool) error {
	switch v := r.(type) {
	case *Pipeline:
		return lintPipeline(v, trusted)
	case *Cron:
		if v.Spec.Branch == "" {
			return &Error{Rule: "cron-branch", Message: "yaml: invalid cron branch", Line: v.Line}
		}
	case *Secret:
		if v.Data == "" && v.Get.Path == "" && v.Get.Name == "" {
			return &Error{Rule: "secret", Message: "yaml: invalid secret resource", Line: v.Line}
		}
	case *Registry:
		if len(v.Data) == 0 {
			return &Error{Rule: "registry", Message: "yaml: invalid registry resource", Line: v.Line}
		}
	case *Signature:
		if v.Hmac == "" {
			return &Error{Rule: "signature", Message: "yaml: invalid signature. missing hash", Line: v.Line}
		}
	}
	return nil
}

// Lint returns every finding: the manifest-level one, if any, then the
// first resource-level one of each resource, so one run reports every
// broken document.
func Lint(m *Manifest, trusted bool) []*Error {
	var out []*Error
	if err := LintManifest(m); err != nil {
		out = append(out, err.(*Error))
	}
	for _, r := range m.Resources {
		if err := LintResource(r, trusted); err != nil {
			out = append(out, err.(*Error))
		}
	}
	return out
}

var (
	supportedOS   = map[string]bool{"linux": true, "windows": true}
	supportedArch = map[string]bool{"arm": true, "arm64": true, "amd64": true}
	reserved      = map[string]bool{"workspace": true, "_workspace": true, "_docker_socket": true}
)

func lintPlatform(p *Pipeline) error {
	if os := p.Platform.OS; os != "" && !supportedOS[os] {
		return &Error{Rule: "os", Message: "linter: unsupported os: " + os, Line: p.Line, Pipeline: p.Name}
	}
	if arch := p.Platform.Arch; arch != "" && !supportedArch[arch] {
		return &Error{Rule: "arch", Message: "linter: unsupported architecture: " + arch, Line: p.Line, Pipeline: p.Name}
	}
	return nil
}

// lintPipeline applies the rules of the pipeline's runner: step names and
// dependencies for every type; volumes, platform and the container rules
// only for the runners that run containers (see RunsContainers).
func lintPipeline(p *Pipeline, trusted bool) error {
	containers := p.RunsContainers()
	for _, v := range p.Volumes {
		if !containers {
			break
		}
		fail := func(rule, msg string) error {
			return &Error{Rule: rule, Message: msg, Line: p.Line, Pipeline: p.Name}
		}
		if v.Temp != nil && !trusted && v.Temp.Medium == "memory" {
			return fail("volume-memory", "linter: untrusted repositories cannot mount in-memory volumes")
		}
		if v.Host != nil && !trusted {
			return fail("volume-host", "linter: untrusted repositories cannot mount host volumes")
		}
		if reserved[v.Name] {
			return fail("volume-name", "linter: invalid volume name: "+v.Name)
		}
	}
	if containers {
		if err := lintPlatform(p); err != nil {
			return err
		}
	}
	names := make(map[string]bool)
	if !p.Clone.Disable {
		names["clone"] = true
	}
	for _, c := range p.Steps {
		if err := lintName(p, c, names); err != nil {
			return err
		}
		if containers {
			if err := lintContainer(p, c, trusted); err != nil {
				return err
			}
		}
		for _, dep := range c.DependsOn {
			if !names[dep] {
				return containerError(p, c, "step-dependency", "linter: invalid or unknown step dependency")
			}
			if dep == c.Name {
				return containerError(p, c, "step-cycle", "linter: cyclical step dependency detected")
			}
		}
	}
	for _, c := range p.Services {
		if err := lintName(p, c, names); err != nil {
			return err
		}
		if containers {
			if err := lintContainer(p, c, trusted); err != nil {
				return err
			}
		}
	}
	return nil
}

func lintName(p *Pipeline, c *Container, names map[string]bool) error {
	if names[c.Name] {
		return containerError(p, c, "duplicate-step", "linter: duplicate step names")
	}
	names[c.Name] = true
	return nil
}

func lintContainer(p *Pipeline, c *Container, trusted bool) error {
	fail := func(rule, msg string) error { return containerError(p, c, rule, msg) }
	for _, port := range c.Ports {
		if !trusted && port.Host != 0 {
			return fail("host-port", "linter: untrusted repositories cannot map to a host port")
		}
	}
	switch {
	case c.Build == nil && c.Image == "":
		return fail("image", "linter: invalid or missing image")
	case c.Build != nil && c.Build.Image == "":
		return fail("build-image", "linter: invalid or missing build image")
	case c.Name == "":
		return fail("name", "linter: invalid or missing name")
	}
	if !trusted {
		switch {
		case c.Privileged:
			return fail("privileged", "linter: untrusted repositories cannot enable privileged mode")
		case len(c.Devices) > 0:
			return fail("devices", "linter: untrusted repositories cannot mount devices")
		case len(c.DNS) > 0:
			return fail("dns", "linter: untrusted repositories cannot configure dns")
		case len(c.DNSSearch) > 0:
			return fail("dns-search", "linter: untrusted repositories cannot configure dns_search")
		case len(c.ExtraHosts) > 0:
			return fail("extra-hosts", "linter: untrusted repositories cannot configure extra_hosts")
		case c.Network != "":
			return fail("network-mode", "linter: untrusted repositories cannot configure network_mode")
		}
	}
	for _, mount := range c.Volumes {
		if reserved[mount.Name] {
			return fail("volume-name", "linter: invalid volume name: "+mount.Name)
		}
	}
	return nil
}

func containerError(p *Pipeline, c *Container, rule, msg string) error {
	return &Error{Rule: rule, Message: msg, Line: c.Line, Pipeline: p.Name, Step: c.Name}
}
