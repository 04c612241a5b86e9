package convert

import (
	"github.com/hangar-ci/hangar/shared/envconf"
	"github.com/hangar-ci/hangar/shared/scm"
)

// repoFilesFromEnv returns the SCM client that reads built repositories
// (HANGAR_SCM and its settings), or nil when none is configured.
func repoFilesFromEnv(lookup envconf.Lookup) (RepoFiles, error) {
	c, err := scm.FromEnv(lookup)
	if err != nil || c == nil {
		return nil, err
	}
	return c, nil
}
