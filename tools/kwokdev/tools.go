//go:build tools

// Package kwokdev pins kwok, whose fake nodes run the deploy tests' pods
// (built into bin/kwok by scripts/tools). Never `go mod tidy` here.
package kwokdev

import _ "sigs.k8s.io/kwok/cmd/kwok"
