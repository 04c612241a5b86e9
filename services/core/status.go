package core

import (
	"context"
	"log/slog"

	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/shared/reqlog"
)

// statusSender sets a build's commit status on its SCM (§4.2 step 20):
// never for cron builds, not at all when disabled; failures are logged,
// never fatal.
type statusSender struct {
	scms     func(kind string) SCM
	name     string // DRONE_STATUS_NAME
	link     string // proto://host
	disabled bool
}

func (s *statusSender) send(ctx context.Context, repo *model.Repo, b *model.Build) {
	// Drone sends a deployment status instead, once the build finished;
	// Hangar does not send deployment statuses yet.
	if s.disabled || b.Event == model.EventCron || b.After == "" || b.DeployID != 0 {
		return
	}
	st := statusFor(s.name, s.link, repo, b)
	if err := s.scms(repo.SCM).SetStatus(ctx, repo.Slug, b.After, st); err != nil {
		reqlog.From(ctx).Warn("commit status failed", slog.String("error", err.Error()), slog.String("state", st.State))
	}
}
