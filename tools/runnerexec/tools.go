//go:build tools

// Package runnerexec pins drone-runner-exec, Drone's exec runner
// (github.com/drone-runners/drone-runner-exec), which scripts/tools builds
// unchanged from the Go module proxy into bin/drone-runner-exec so Hangar's
// tests poll the core server with the real runner: the runner-go client and
// RPC sequence the Docker and Kubernetes runners use too. Test-only tool
// (Polyform Small Business license); never ship the binary.
package runnerexec

import _ "github.com/drone-runners/drone-runner-exec"
