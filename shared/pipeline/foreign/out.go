package foreign

import (
	"bytes"

	"go.yaml.in/yaml/v3"
)

// The Drone 1.x documents a conversion writes, fields in the order people
// write them, empty ones left out.

type outPipeline struct {
	Kind      string            `yaml:"kind"`
	Type      string            `yaml:"type,omitempty"`
	Name      string            `yaml:"name"`
	Platform  *outPlatform      `yaml:"platform,omitempty"`
	Node      map[string]string `yaml:"node,omitempty"`
	Clone     *outClone         `yaml:"clone,omitempty"`
	Workspace *outWorkspace     `yaml:"workspace,omitempty"`
	Steps     []*outStep        `yaml:"steps"`
	Services  []*outStep        `yaml:"services,omitempty"`
	Volumes   []*outVolume      `yaml:"volumes,omitempty"`
	Trigger   outConditions     `yaml:"trigger,omitempty"`
	DependsOn []string          `yaml:"depends_on,omitempty"`
}

type outPlatform struct {
	OS   string `yaml:"os,omitempty"`
	Arch string `yaml:"arch,omitempty"`
}

type outClone struct {
	Disable    bool `yaml:"disable,omitempty"`
	Depth      int  `yaml:"depth,omitempty"`
	SkipVerify bool `yaml:"skip_verify,omitempty"`
}

type outWorkspace struct {
	Base string `yaml:"base,omitempty"`
	Path string `yaml:"path,omitempty"`
}

type outStep struct {
	Name        string         `yaml:"name"`
	Image       string         `yaml:"image,omitempty"`
	Pull        string         `yaml:"pull,omitempty"`
	Detach      bool           `yaml:"detach,omitempty"`
	Privileged  bool           `yaml:"privileged,omitempty"`
	Entrypoint  []string       `yaml:"entrypoint,omitempty"`
	Command     []string       `yaml:"command,omitempty"`
	Commands    []string       `yaml:"commands,omitempty"`
	Shell       string         `yaml:"shell,omitempty"`
	Environment map[string]any `yaml:"environment,omitempty"`
	Settings    map[string]any `yaml:"settings,omitempty"`
	Volumes     []*outMount    `yaml:"volumes,omitempty"`
	DNS         []string       `yaml:"dns,omitempty"`
	DNSSearch   []string       `yaml:"dns_search,omitempty"`
	ExtraHosts  []string       `yaml:"extra_hosts,omitempty"`
	Network     string         `yaml:"network_mode,omitempty"`
	Failure     string         `yaml:"failure,omitempty"`
	DependsOn   []string       `yaml:"depends_on,omitempty"`
	When        outConditions  `yaml:"when,omitempty"`
}

type outMount struct {
	Name string `yaml:"name"`
	Path string `yaml:"path"`
}

type outVolume struct {
	Name string       `yaml:"name"`
	Host *outHostPath `yaml:"host,omitempty"`
}

type outHostPath struct {
	Path string `yaml:"path"`
}

// outConditions maps a condition's name (branch, event…) to its patterns.
type outConditions map[string]*outCondition

type outCondition struct {
	Include []string `yaml:"include,omitempty"`
	Exclude []string `yaml:"exclude,omitempty"`
}

func (c *outCondition) empty() bool { return c == nil || len(c.Include) == 0 && len(c.Exclude) == 0 }

// set adds cond under name unless it is empty.
func (cs *outConditions) set(name string, cond *outCondition) {
	if cond.empty() {
		return
	}
	if *cs == nil {
		*cs = outConditions{}
	}
	(*cs)[name] = cond
}

type outSecret struct {
	Kind string        `yaml:"kind"`
	Name string        `yaml:"name"`
	Get  outSecretPath `yaml:"get"`
}

type outSecretPath struct {
	Path string `yaml:"path"`
	Name string `yaml:"name,omitempty"`
}

type fromSecret struct {
	FromSecret string `yaml:"from_secret"`
}

// emit writes documents separated by "---".
func emit(docs []any) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	for _, d := range docs {
		if err := enc.Encode(d); err != nil {
			return nil, err
		}
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
