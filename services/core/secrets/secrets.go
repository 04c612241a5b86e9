// Package secrets chooses the stored secrets a build may see, opened for
// the runner. It is the link between the secrets API and the runner
// protocol's stage details: the runner gets these first, and asks its
// secret extension only for names they do not hold.
package secrets

import (
	"context"
	"strings"

	"github.com/drone/drone-go/drone"

	"github.com/hangar-ci/hangar/services/core/model"
)

// Store lists stored secrets (store.Store.ListSecrets).
type Store interface {
	ListSecrets(ctx context.Context, repoID int64, namespace string) ([]*model.Secret, error)
}

// Opener opens sealed values (seal.Sealer).
type Opener interface {
	Open(sealed string) (string, error)
}

// ForBuild returns the secrets build of repo may see, by name:
// organisation secrets of the repository's namespace, then the
// repository's own, which win on the same name. A pull request sees a
// secret only when the secret allows pull requests, or, for a pull
// request from a branch of the repository itself (not a fork), when it
// allows pushes on pull requests.
func ForBuild(ctx context.Context, st Store, op Opener, repo *model.Repo, build *model.Build) ([]*drone.Secret, error) {
	org, err := st.ListSecrets(ctx, 0, repo.Namespace)
	if err != nil {
		return nil, err
	}
	own, err := st.ListSecrets(ctx, repo.ID, "")
	if err != nil {
		return nil, err
	}
	byName := map[string]*model.Secret{}
	var order []string
	for _, sec := range append(org, own...) {
		if !Allowed(sec, repo, build) {
			continue
		}
		if _, seen := byName[sec.Name]; !seen {
			order = append(order, sec.Name)
		}
		byName[sec.Name] = sec
	}
	out := make([]*drone.Secret, 0, len(order))
	for _, name := range order {
		sec := byName[name]
		plain, err := op.Open(sec.Data)
		if err != nil {
			return nil, err
		}
		out = append(out, &drone.Secret{Name: sec.Name, Data: plain, PullRequest: sec.PullRequest, PullRequestPush: sec.PullRequestPush})
	}
	return out, nil
}

// Allowed reports whether build may see sec.
func Allowed(sec *model.Secret, repo *model.Repo, build *model.Build) bool {
	if build.Event != model.EventPullRequest {
		return true
	}
	if sec.PullRequest {
		return true
	}
	fork := build.Fork != "" && !strings.EqualFold(build.Fork, repo.Slug)
	return sec.PullRequestPush && !fork
}
