// Package secrets chooses the stored secrets a build may see, opened for
// the runner. It is the link between the secrets API and the runner
// protocol's stage details: the runner gets these first, and asks its
// secret extension only for names they do not hold.
package secrets

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/drone/drone-go/drone"

	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/shared/aesgcm"
	"github.com/hangar-ci/hangar/shared/pipeline"
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
// repository's own, then those encrypted in the pipeline file (m, may be
// nil; `drone encrypt`), each winning over the ones before on the same
// name, as Drone's chain finds encrypted secrets first. A pull request
// sees a stored secret only when the secret allows pull requests, or, for
// a pull request from a branch of the repository itself (not a fork),
// when it allows pushes on pull requests; encrypted ones are withheld from
// fork pull requests of public repositories, as in Drone.
func ForBuild(ctx context.Context, st Store, op Opener, repo *model.Repo, build *model.Build, m *pipeline.Manifest) ([]*drone.Secret, error) {
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
	index := map[string]int{}
	for _, name := range order {
		sec := byName[name]
		plain, err := op.Open(sec.Data)
		if err != nil {
			return nil, err
		}
		index[name] = len(out)
		out = append(out, &drone.Secret{Name: sec.Name, Data: plain, PullRequest: sec.PullRequest, PullRequestPush: sec.PullRequestPush})
	}
	enc, err := Encrypted(repo, build, m)
	if err != nil {
		return nil, err
	}
	for _, sec := range enc {
		if i, ok := index[sec.Name]; ok {
			out[i] = sec
			continue
		}
		index[sec.Name] = len(out)
		out = append(out, sec)
	}
	return out, nil
}

// Encrypted opens the `kind: secret` documents of m that carry `data`
// encrypted under the repository's secret (POST …/encrypt). A value that
// does not open is an error naming the secret, never showing the value.
func Encrypted(repo *model.Repo, build *model.Build, m *pipeline.Manifest) ([]*drone.Secret, error) {
	if m == nil {
		return nil, nil
	}
	fork := build.Fork != "" && !strings.EqualFold(build.Fork, repo.Slug)
	if !repo.Private && build.Event == model.EventPullRequest && fork {
		return nil, nil
	}
	var out []*drone.Secret
	for _, r := range m.Resources {
		sec, ok := r.(*pipeline.Secret)
		if !ok || sec.Data == "" {
			continue
		}
		key, err := aesgcm.KeyFrom(repo.Secret)
		if err != nil {
			return nil, fmt.Errorf("secret %s: the repository's secret cannot key it", sec.Name)
		}
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(sec.Data))
		if err != nil {
			return nil, fmt.Errorf("secret %s: data is not base64", sec.Name)
		}
		plain, err := aesgcm.Decrypt(raw, key)
		if err != nil {
			return nil, fmt.Errorf("secret %s: data was not encrypted for this repository", sec.Name)
		}
		out = append(out, &drone.Secret{Name: sec.Name, Data: string(plain)})
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
