package convert

import (
	"context"
	"errors"
	"path"

	"github.com/drone/drone-go/drone"
)

// RepoFiles reads a file of a repository at a commit or ref, for
// load("//path") from the repository being built. shared/scm's GitHub and
// GitLab clients implement it.
type RepoFiles interface {
	ReadFile(ctx context.Context, slug, ref, path string) ([]byte, error)
}

// ErrNotFound may be wrapped by a RepoFiles for a missing file (as may
// fs.ErrNotExist).
var ErrNotFound = errors.New("file not found")

// denied refuses every read with the reason, for repositories the
// HANGAR_CONVERT_REPO_LOADS option does not allow.
type denied struct{ reason string }

func (d denied) ReadFile(context.Context, string, string, string) ([]byte, error) {
	return nil, scriptError("%s", d.reason)
}

// repoSlug returns namespace/name, from the separate fields when a sender
// leaves the slug empty.
func repoSlug(r drone.Repo) string {
	if r.Slug != "" {
		return r.Slug
	}
	return path.Join(r.Namespace, r.Name)
}
