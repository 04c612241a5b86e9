package convert

import (
	"fmt"
	"runtime"
	"time"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/hangar-ci/hangar/shared/envconf"
	"github.com/hangar-ci/hangar/shared/httpsig"
)

// Defaults of the limits, the first two as in Drone.
const (
	DefaultStepLimit   = 50_000
	DefaultSizeLimit   = 1 << 20
	DefaultTimeout     = 10 * time.Second
	DefaultMaxModules  = 64
	DefaultModuleBytes = 4 << 20
	DefaultCacheSize   = 64 << 20
	DefaultModuleCache = 32 << 20

	// NoStepLimit is the ceiling of DRONE_STARLARK_STEP_LIMIT, and what 0
	// (Drone's "no limit") means: four times what the largest real scripts
	// need. It is bounded because a builtin cannot be interrupted: str()
	// of data nested one level per dozen steps takes time and Go stack
	// growing faster than its depth (at two million steps, about ten
	// seconds; at ten million, minutes).
	NoStepLimit = 2_000_000
	// MaxSizeLimit is the ceiling of DRONE_STARLARK_SIZE_LIMIT, and what
	// 0 (Drone's "no limit") means.
	MaxSizeLimit = 64 << 20
)

// Options configure the convert service.
type Options struct {
	// Signature verifies requests: the shared secret, Date skew and body limit.
	Signature httpsig.Settings
	// Limits bound every conversion.
	Limits Limits
	// CacheSize bounds the conversion results kept, in bytes; 0 disables
	// the result cache.
	CacheSize int64
	// ModuleCacheSize bounds compiled scripts and files read from built
	// repositories, in bytes; 0 disables that cache.
	ModuleCacheSize int64
	// RepoLoads says which repositories may load("//…") from themselves:
	// "trusted" (repositories Drone marks trusted), "all", "none", or
	// repository slug globs ("octo/*"); a repository matching any entry may.
	RepoLoads []string
	// RepoFiles reads the repository being built; nil refuses every
	// load("//…"). FromEnv fills it from the SCM settings.
	RepoFiles RepoFiles
	// Formats converts Drone 0.8 and GitLab CI files to Drone 1.x YAML
	// (HANGAR_CONVERT_FORMATS), for a Drone server that does not: Drone's
	// open-source build leaves them unconverted. Hangar's core converts them
	// itself.
	Formats bool
	// JsonnetWorker is the command that runs one Jsonnet evaluation in its
	// own process (a binary answering to WorkerArg); empty evaluates in
	// process, where an evaluation past its time limit cannot be stopped.
	// FromEnv uses DefaultJsonnetWorker.
	JsonnetWorker []string
	// JsonnetMemory bounds a Jsonnet worker's heap
	// (HANGAR_CONVERT_JSONNET_MEMORY).
	JsonnetMemory int64
	// Concurrency bounds the conversions that run at once
	// (HANGAR_CONVERT_CONCURRENCY, default twice the CPUs); cached answers
	// never wait for a slot.
	Concurrency int
	// MemoryLimit is the memory of the process that running Starlark
	// conversions must stay under (HANGAR_CONVERT_MEMORY_LIMIT): less 8×
	// the output limit per concurrent conversion (at most half of it), it
	// is the threshold at which they are stopped (see memWatch); 0
	// disables the watch.
	MemoryLimit int64
	// Paths turns on the paths mode (HANGAR_CONVERT_PATHS): `trigger:
	// paths` and `when: paths` evaluated against the build's changed files,
	// read through RepoFiles, which must then list them (scm.Changer).
	Paths bool
}

// DefaultJsonnetWorker is the worker command FromEnv uses; the hangar
// binary sets it to itself.
var DefaultJsonnetWorker []string

// OptionsFromEnv reads Options through lookup, reporting every invalid
// setting at once. RepoFiles is left for the caller.
func OptionsFromEnv(lookup envconf.Lookup) (Options, error) {
	r := envconf.New(lookup)
	o := Options{
		Signature: httpsig.ReadSettings(r, "DRONE_CONVERT_PLUGIN_SECRET", "DRONE_SECRET"),
		Limits: Limits{
			Steps:       uint64(r.Int(DefaultStepLimit, "DRONE_STARLARK_STEP_LIMIT")),
			Size:        int(r.Bytes(DefaultSizeLimit, "DRONE_STARLARK_SIZE_LIMIT")),
			Timeout:     r.Duration(DefaultTimeout, "HANGAR_CONVERT_TIMEOUT"),
			Modules:     r.Int(DefaultMaxModules, "HANGAR_CONVERT_MAX_MODULES"),
			ModuleBytes: int(r.Bytes(DefaultModuleBytes, "HANGAR_CONVERT_MAX_MODULE_BYTES")),
		},
		CacheSize:       r.Bytes(DefaultCacheSize, "HANGAR_CONVERT_CACHE_SIZE"),
		ModuleCacheSize: r.Bytes(DefaultModuleCache, "HANGAR_CONVERT_MODULE_CACHE_SIZE"),
		RepoLoads:       r.List([]string{"trusted"}, "HANGAR_CONVERT_REPO_LOADS"),
		Formats:         r.Bool(false, "HANGAR_CONVERT_FORMATS"),
		JsonnetWorker:   DefaultJsonnetWorker,
		JsonnetMemory:   r.Bytes(DefaultJsonnetMemory, "HANGAR_CONVERT_JSONNET_MEMORY"),
		MemoryLimit:     r.Bytes(DefaultMemoryLimit, "HANGAR_CONVERT_MEMORY_LIMIT"),
		Concurrency:     r.Int(2*runtime.NumCPU(), "HANGAR_CONVERT_CONCURRENCY"),
		Paths:           r.Bool(false, "HANGAR_CONVERT_PATHS"),
	}
	// Drone reads 0 as "no limit"; an operator's existing setting keeps
	// working, with the wall-clock limit and a ceiling still in force.
	if o.Limits.Steps == 0 {
		o.Limits.Steps = NoStepLimit
	}
	if o.Limits.Size == 0 {
		o.Limits.Size = MaxSizeLimit
	}
	r.Check(int64(o.Limits.Steps) > 0 && o.Limits.Steps <= NoStepLimit, "DRONE_STARLARK_STEP_LIMIT", "must be between 0 (the ceiling) and %d", NoStepLimit)
	r.Check(o.Limits.Size > 0 && o.Limits.Size <= MaxSizeLimit, "DRONE_STARLARK_SIZE_LIMIT", "must be between 0 (the %d-byte ceiling) and %d bytes", MaxSizeLimit, MaxSizeLimit)
	r.Check(o.Limits.Timeout > 0, "HANGAR_CONVERT_TIMEOUT", "must be positive")
	r.Check(o.Limits.Modules > 0, "HANGAR_CONVERT_MAX_MODULES", "must be positive")
	r.Check(o.Limits.ModuleBytes > 0, "HANGAR_CONVERT_MAX_MODULE_BYTES", "must be positive")
	r.Check(o.CacheSize >= 0, "HANGAR_CONVERT_CACHE_SIZE", "must not be negative")
	r.Check(o.Concurrency > 0, "HANGAR_CONVERT_CONCURRENCY", "must be positive")
	r.Check(o.MemoryLimit >= 0, "HANGAR_CONVERT_MEMORY_LIMIT", "must not be negative")
	r.Check(o.JsonnetMemory > 0, "HANGAR_CONVERT_JSONNET_MEMORY", "must be positive")
	r.Check(o.ModuleCacheSize >= 0, "HANGAR_CONVERT_MODULE_CACHE_SIZE", "must not be negative")
	if err := checkRepoLoads(o.RepoLoads); err != nil {
		r.Fail("HANGAR_CONVERT_REPO_LOADS", "%v", err)
	}
	return o, r.Err()
}

func checkRepoLoads(entries []string) error {
	for _, e := range entries {
		switch e {
		case "trusted", "all", "none":
			continue
		}
		if !doublestar.ValidatePattern(e) {
			return fmt.Errorf("%q is not trusted, all, none or a valid slug glob", e)
		}
	}
	return nil
}

// mayLoadFromRepo applies Options.RepoLoads to a repository.
func mayLoadFromRepo(entries []string, slug string, trusted bool) bool {
	for _, e := range entries {
		switch e {
		case "all":
			return true
		case "none":
			continue
		case "trusted":
			if trusted {
				return true
			}
		default:
			if ok, _ := doublestar.Match(e, slug); ok {
				return true
			}
		}
	}
	return false
}
