package core

import (
	"context"

	"github.com/drone/drone-go/drone"

	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/services/core/secrets"
	"github.com/hangar-ci/hangar/shared/pipeline"
)

// stageSecrets is what the runner protocol hands a stage: the stored and
// the pipeline's encrypted secrets the build may see (secrets.ForBuild).
func (s *service) stageSecrets(ctx context.Context, repo *model.Repo, b *model.Build, yaml string) ([]*drone.Secret, error) {
	m, err := pipeline.Parse([]byte(yaml))
	if err != nil {
		m = nil // a file that no longer parses carries no encrypted secrets
	}
	return secrets.ForBuild(ctx, s.db, s.seal, repo, b, m)
}
