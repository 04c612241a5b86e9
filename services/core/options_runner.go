package core

import (
	"time"

	"github.com/hangar-ci/hangar/shared/envconf"
)

// RunnerOptions configure how runners take and run stages.
type RunnerOptions struct {
	// RPCSecret is Drone's DRONE_RPC_SECRET, the X-Drone-Token runners
	// send; empty closes the runner protocol.
	RPCSecret string
	// DeadRunner is how long a runner holding a stage may go unheard
	// before its stage ends in error (a stage accepted but never started
	// is offered again instead).
	DeadRunner time.Duration
	// LogLimit bounds each step's stored log, in bytes.
	LogLimit int64
	// GitUsername and GitPassword are Drone's fixed clone credentials;
	// without them the SCM token of the repository's kind is used.
	GitUsername, GitPassword string
	// GitAlwaysAuth sends clone credentials for public repositories too.
	GitAlwaysAuth bool
}

// Zero values of hand-built options take these defaults.
const (
	defaultDeadRunner = 3 * time.Minute
	defaultLogLimit   = 5 << 20
)

func runnerOptionsFromEnv(r *envconf.Reader) RunnerOptions {
	return RunnerOptions{
		RPCSecret:     r.String("", "DRONE_RPC_SECRET"),
		DeadRunner:    r.Duration(defaultDeadRunner, "HANGAR_RUNNER_DEADLINE"),
		LogLimit:      r.Bytes(defaultLogLimit, "HANGAR_LOG_LIMIT"),
		GitUsername:   r.String("", "DRONE_GIT_USERNAME"),
		GitPassword:   r.String("", "DRONE_GIT_PASSWORD"),
		GitAlwaysAuth: r.Bool(false, "DRONE_GIT_ALWAYS_AUTH"),
	}
}

func (o RunnerOptions) check(r *envconf.Reader) {
	r.Check(o.DeadRunner >= 0, "HANGAR_RUNNER_DEADLINE", "must not be negative")
	// A live runner goes unheard for its 10 s pause between two watches.
	r.Check(o.DeadRunner == 0 || o.DeadRunner >= 15*time.Second, "HANGAR_RUNNER_DEADLINE", "must be at least 15s: runners pause 10s between two watches")
	r.Check(o.LogLimit >= 0, "HANGAR_LOG_LIMIT", "must not be negative")
}

// withDefaults fills what hand-built options left zero.
func (o RunnerOptions) withDefaults() RunnerOptions {
	if o.DeadRunner == 0 {
		o.DeadRunner = defaultDeadRunner
	}
	if o.LogLimit == 0 {
		o.LogLimit = defaultLogLimit
	}
	return o
}
