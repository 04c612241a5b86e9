package vaulttest

import (
	"testing"

	"github.com/hangar-ci/hangar/shared/toolstest"
)

// Binary returns bin/vault of the repository, running scripts/tools first
// when it or the Kubernetes plugin is missing (about 5 minutes cold).
func Binary(t testing.TB) string {
	t.Helper()
	return toolstest.Bin(t, "vault", "vault-plugins/kubernetes")
}

// repoRoot finds the Hangar module root above the working directory.
func repoRoot(t testing.TB) string { return toolstest.RepoRoot(t) }
