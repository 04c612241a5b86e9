package pipeline

// Kinds of resources Drone distinguishes. Any other kind is a pipeline.
const (
	KindPipeline  = "pipeline"
	KindSecret    = "secret"
	KindSignature = "signature"
	KindCron      = "cron"
	KindRegistry  = "registry"
)

// Manifest is a parsed multi-document pipeline file.
type Manifest struct {
	// Resources are the documents in file order.
	Resources []Resource
}

// Resource is one document of a manifest: *Pipeline, *Secret, *Signature,
// *Cron or *Registry.
type Resource interface {
	// GetKind returns the document's kind attribute as written.
	GetKind() string
	// Source returns the document's raw text and position.
	Source() *Document
}

// Document is what every resource keeps of its source: the raw text the
// signature is computed over and where it starts in the file.
type Document struct {
	// Raw is the document's lines, each followed by "\n", separators and
	// carriage returns removed, exactly as Drone signs them.
	Raw []byte
	// Line is the 1-based file line of the document's first line.
	Line int
	// Index is the 0-based position of the document in the file.
	Index int
}

// Source returns d; embedding Document makes a type a Resource.
func (d *Document) Source() *Document { return d }

// Pipeline is a resource of kind pipeline, or of any unknown kind.
type Pipeline struct {
	Document `yaml:"-"`

	Version     string            `yaml:"version"`
	Kind        string            `yaml:"kind"`
	Type        string            `yaml:"type"`
	Name        string            `yaml:"name"`
	Clone       Clone             `yaml:"clone"`
	Concurrency Concurrency       `yaml:"concurrency"`
	DependsOn   []string          `yaml:"depends_on"`
	Node        map[string]string `yaml:"node"`
	Platform    Platform          `yaml:"platform"`
	PullSecrets []string          `yaml:"image_pull_secrets"`
	Services    []*Container      `yaml:"services"`
	Steps       []*Container      `yaml:"steps"`
	Trigger     Conditions        `yaml:"trigger"`
	Volumes     []*Volume         `yaml:"volumes"`
	Workspace   Workspace         `yaml:"workspace"`
}

// GetKind returns the kind attribute.
func (p *Pipeline) GetKind() string { return p.Kind }

// IsDocker reports whether Drone treats the pipeline as a docker pipeline
// (kind pipeline, type empty or docker), the only ones whose platform the
// manifest linter checks.
func (p *Pipeline) IsDocker() bool {
	return (p.Kind == KindPipeline || p.Kind == "") && (p.Type == "" || p.Type == "docker")
}

// RunsContainers reports whether the pipeline's runner runs its steps as
// containers (docker and kubernetes), the only runners that enforce the
// container rules of the resource lint (image, privileged, volumes, …).
// The exec, ssh, digitalocean and macstadium runners' steps have no image.
func (p *Pipeline) RunsContainers() bool {
	return (p.Kind == KindPipeline || p.Kind == "") && (p.Type == "" || p.Type == "docker" || p.Type == "kubernetes")
}

// Clone configures the clone step.
type Clone struct {
	Disable    bool `yaml:"disable"`
	Depth      int  `yaml:"depth"`
	SkipVerify bool `yaml:"skip_verify"`
}

// Concurrency limits parallel runs of a pipeline.
type Concurrency struct {
	Limit int `yaml:"limit"`
}

// Platform selects the runner.
type Platform struct {
	OS      string `yaml:"os"`
	Arch    string `yaml:"arch"`
	Variant string `yaml:"variant"`
	Version string `yaml:"version"`
}

// Workspace sets the working directory of every step.
type Workspace struct {
	Base string `yaml:"base"`
	Path string `yaml:"path"`
}

// Volume is a pipeline volume: temporary (Temp) or a host path (Host).
type Volume struct {
	Name string      `yaml:"name"`
	Temp *VolumeTemp `yaml:"temp"`
	Host *VolumeHost `yaml:"host"`
}

// VolumeTemp is a temporary volume, in memory when Medium is "memory".
type VolumeTemp struct {
	Medium    string `yaml:"medium"`
	SizeLimit string `yaml:"size_limit"`
}

// VolumeHost mounts a path of the host.
type VolumeHost struct {
	Path string `yaml:"path"`
}

// Container is a step or a service.
type Container struct {
	Name        string                `yaml:"name"`
	Image       string                `yaml:"image"`
	Build       *Build                `yaml:"build"`
	Command     []string              `yaml:"command"`
	Commands    []string              `yaml:"commands"`
	Entrypoint  []string              `yaml:"entrypoint"`
	Detach      bool                  `yaml:"detach"`
	DependsOn   []string              `yaml:"depends_on"`
	Devices     []*VolumeDevice       `yaml:"devices"`
	DNS         []string              `yaml:"dns"`
	DNSSearch   []string              `yaml:"dns_search"`
	Environment map[string]*Variable  `yaml:"environment"`
	ExtraHosts  []string              `yaml:"extra_hosts"`
	Failure     string                `yaml:"failure"`
	Network     string                `yaml:"network_mode"`
	Ports       []*Port               `yaml:"ports"`
	Privileged  bool                  `yaml:"privileged"`
	Pull        string                `yaml:"pull"`
	Push        *Push                 `yaml:"push"`
	Resources   *Resources            `yaml:"resources"`
	Settings    map[string]*Parameter `yaml:"settings"`
	Shell       string                `yaml:"shell"`
	User        string                `yaml:"user"`
	Volumes     []*VolumeMount        `yaml:"volumes"`
	When        Conditions            `yaml:"when"`
	WorkingDir  string                `yaml:"working_dir"`

	// Line is the 1-based file line where the container starts.
	Line int `yaml:"-"`
}

// Build builds and publishes an image; `build: name` is short for
// `build: {image: name}`.
type Build struct {
	Args       map[string]string `yaml:"args"`
	CacheFrom  []string          `yaml:"cache_from"`
	Context    string            `yaml:"context"`
	Dockerfile string            `yaml:"dockerfile"`
	Image      string            `yaml:"image"`
	Labels     map[string]string `yaml:"labels"`
}

// Push publishes an image; `push: name` is short for `push: {image: name}`.
type Push struct {
	Image string `yaml:"image"`
}

// VolumeDevice maps a host device into the container.
type VolumeDevice struct {
	Name string `yaml:"name"`
	Path string `yaml:"path"`
}

// VolumeMount mounts a pipeline volume into the container.
type VolumeMount struct {
	Name string `yaml:"name"`
	Path string `yaml:"path"`
}

// Port is a container port; `ports: [80]` is short for `{port: 80}`.
// A non-zero Host maps it to a port of the host.
type Port struct {
	Port     int    `yaml:"port"`
	Host     int    `yaml:"host"`
	Protocol string `yaml:"protocol"`
}

// Resources are a container's resource limits and requests.
type Resources struct {
	Limits   *ResourceObject `yaml:"limits"`
	Requests *ResourceObject `yaml:"requests"`
}

// ResourceObject holds CPU and memory quantities as written ("500m", "1Gi").
type ResourceObject struct {
	CPU    string `yaml:"cpu"`
	Memory string `yaml:"memory"`
}

// Variable is an environment value: a literal or a secret reference.
type Variable struct {
	Value      string
	FromSecret string
}

// Parameter is a plugin setting: any value or a secret reference.
type Parameter struct {
	Value      any
	FromSecret string
}

// Secret is a resource of kind secret.
type Secret struct {
	Document `yaml:"-"`

	Version string    `yaml:"version"`
	Kind    string    `yaml:"kind"`
	Type    string    `yaml:"type"`
	Name    string    `yaml:"name"`
	Data    string    `yaml:"data"`
	Get     SecretGet `yaml:"get"`
}

// GetKind returns the kind attribute.
func (s *Secret) GetKind() string { return s.Kind }

// SecretGet points at a secret held by a secret extension.
type SecretGet struct {
	Path string `yaml:"path"`
	Name string `yaml:"name"`
	Key  string `yaml:"key"`
}

// Signature is a resource of kind signature.
type Signature struct {
	Document `yaml:"-"`

	Version string `yaml:"version"`
	Kind    string `yaml:"kind"`
	Hmac    string `yaml:"hmac"`
}

// GetKind returns the kind attribute.
func (s *Signature) GetKind() string { return s.Kind }

// Cron is a resource of kind cron.
type Cron struct {
	Document `yaml:"-"`

	Version string   `yaml:"version"`
	Kind    string   `yaml:"kind"`
	Name    string   `yaml:"name"`
	Spec    CronSpec `yaml:"spec"`
}

// GetKind returns the kind attribute.
func (c *Cron) GetKind() string { return c.Kind }

// CronSpec is a cron job's schedule and target.
type CronSpec struct {
	Schedule   string         `yaml:"schedule"`
	Branch     string         `yaml:"branch"`
	Deployment CronDeployment `yaml:"deployment"`
}

// CronDeployment is a cron job's deployment target.
type CronDeployment struct {
	Target string `yaml:"target"`
}

// Registry is a resource of kind registry.
type Registry struct {
	Document `yaml:"-"`

	Version string            `yaml:"version"`
	Kind    string            `yaml:"kind"`
	Data    map[string]string `yaml:"data"`
}

// GetKind returns the kind attribute.
func (r *Registry) GetKind() string { return r.Kind }

// Pipelines returns the manifest's pipelines in file order.
func (m *Manifest) Pipelines() []*Pipeline {
	var out []*Pipeline
	for _, r := range m.Resources {
		if p, ok := r.(*Pipeline); ok {
			out = append(out, p)
		}
	}
	return out
}
