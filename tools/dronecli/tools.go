//go:build tools

// Package dronecli pins drone-cli v1.8.0, the `drone` command Hangar's
// end-to-end tests run as a real process against `hangar all`. The binary
// is built by scripts/tools into bin/drone; it is a test-only tool.
package dronecli

import _ "github.com/drone/drone-cli/drone"
