package core

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/drone/drone-go/drone"
	"github.com/drone/drone-go/plugin/config"
	"github.com/drone/drone-go/plugin/converter"
	"github.com/drone/drone-go/plugin/validator"

	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/shared/pipeline"
	"github.com/hangar-ci/hangar/shared/pipeline/foreign"
	"github.com/hangar-ci/hangar/shared/reqlog"
	"github.com/hangar-ci/hangar/shared/wire"
)

// Store is what the core server keeps: repositories, builds and stages.
type Store interface {
	FindRepo(ctx context.Context, id int64) (*model.Repo, error)
	FindRepoSlug(ctx context.Context, scm, slug string) (*model.Repo, error)
	CreateRepo(ctx context.Context, r *model.Repo) error
	UpdateRepo(ctx context.Context, r *model.Repo) error
	ListRepos(ctx context.Context) ([]*model.Repo, error)
	CreateBuild(ctx context.Context, b *model.Build, stages []*model.Stage) error
	SkipPending(ctx context.Context, repoID int64, event, ref string, before, now int64) (int64, error)
	FindBuild(ctx context.Context, repoID, number int64) (*model.Build, error)
	ListBuilds(ctx context.Context, repoID int64, limit, offset int) ([]*model.Build, error)
	UpdateBuild(ctx context.Context, b *model.Build) error
	ListStages(ctx context.Context, buildID int64) ([]*model.Stage, error)
	ListQueue(ctx context.Context) ([]*model.Stage, error)
	UpdateStage(ctx context.Context, s *model.Stage) error
	Ping(ctx context.Context) error
	runnerStore
}

// Scheduler hands pending stages to runners.
type Scheduler interface {
	Schedule(ctx context.Context, s *model.Stage) error
}

// triggerer runs Drone's trigger (drone-protocol.md §4.2) for one hook.
type triggerer struct {
	store    Store
	config   ConfigService
	convert  ConvertService
	validate ValidateService
	scms     func(kind string) SCM
	sched    Scheduler
	webhook  WebhookSender
	statuses *statusSender
	paths    *pathFilter // nil: paths are not evaluated, as in Drone
	now      func() time.Time
}

// errConfig marks a config extension failure: no build, a 500 to the hook.
type errConfig struct{ err error }

func (e *errConfig) Error() string { return "config: " + extensionError(e.err) }
func (e *errConfig) Unwrap() error { return e.err }

// trigger returns the build created for h, nil when the hook creates
// none (skip marker, ignored pull request, validator skip, no matching
// pipeline), or an error when the build could not be started at all.
func (t *triggerer) trigger(ctx context.Context, repo *model.Repo, h *model.Hook) (*model.Build, []*model.Stage, error) {
	log := reqlog.From(ctx)
	skip := func(why string) (*model.Build, []*model.Stage, error) {
		reqlog.Annotate(ctx, slog.String("decision", "skip"), slog.String("reason", why))
		return nil, nil, nil
	}
	// 1. Skip markers, on the hook as received.
	if skipByMessage(h) {
		return skip("skip marker in commit message")
	}
	// 2. Pull request policy.
	if h.Event == model.EventPullRequest {
		if repo.IgnorePulls {
			return skip("repository ignores pull requests")
		}
		if repo.IgnoreForks && !strings.EqualFold(h.Fork, repo.Slug) {
			return skip("repository ignores forks")
		}
	}
	// 4. Commit enrichment; errors are ignored as Drone does.
	if h.Message == "" && h.After != "" {
		if c, err := t.scms(repo.SCM).Commit(ctx, repo.Slug, h.After); err == nil {
			h.Message = c.Message
			if h.AuthorEmail == "" {
				h.AuthorEmail = c.AuthorEmail
			}
			if h.AuthorName == "" {
				h.AuthorName = c.AuthorName
			}
			if h.AuthorAvatar == "" {
				h.AuthorAvatar = c.Avatar
			}
			if h.Author == "" {
				h.Author = c.AuthorLogin
			}
		} else {
			log.Debug("commit lookup failed", slog.String("error", err.Error()))
		}
	}
	// 5. The temporary build the extensions see.
	now := t.now().Unix()
	tmp := buildFromHook(repo, h, now)
	dbuild, drepo := toDroneBuild(tmp), toDroneRepo(repo)

	// 6. Config: an error aborts without a build.
	cfg, err := t.config.Find(ctx, &config.Request{Repo: drepo, Build: dbuild})
	if err != nil {
		return nil, nil, &errConfig{err}
	}
	// 7. Convert: an error makes an error build.
	if out, err := t.convert.Convert(ctx, &converter.Request{Repo: drepo, Build: dbuild, Config: drone.Config{Data: cfg.Data}}); err != nil {
		return t.errorBuild(ctx, repo, h, extensionError(err))
	} else if out != nil && out.Data != "" {
		cfg = out
	}
	// 8. Drone 0.8 and GitLab CI files become Drone 1.x YAML.
	if r, err := foreign.Convert(repo.Config, []byte(cfg.Data), foreign.Options{DefaultBranch: repo.Branch}); err != nil {
		return t.errorBuild(ctx, repo, h, err.Error())
	} else if r != nil {
		for _, w := range r.Warnings {
			log.Info("pipeline conversion warning", slog.String("format", string(r.Format)), slog.String("warning", w.String()))
		}
		cfg = &drone.Config{Data: string(r.YAML)}
	}
	// 9. Parse.
	m, err := pipeline.Parse([]byte(cfg.Data))
	if err != nil {
		return t.errorBuild(ctx, repo, h, err.Error())
	}
	// 10. Validate: skip → nothing, block → every stage blocked.
	blocked := false
	switch err := t.validate.Validate(ctx, &validator.Request{Repo: drepo, Build: dbuild, Config: drone.Config{Data: cfg.Data}}); {
	case err == nil:
	case errors.Is(err, validator.ErrSkip):
		return skip("validator skipped the build")
	case errors.Is(err, validator.ErrBlock):
		blocked = true
	default:
		return t.errorBuild(ctx, repo, h, extensionError(err))
	}
	// 11. Manifest lint.
	if err := pipeline.LintManifest(m); err != nil {
		return t.errorBuild(ctx, repo, h, err.Error())
	}
	// 12. Signature of protected repositories.
	verified := !blocked
	if repo.Protected && h.Trigger == "@hook" && !m.Verify([]byte(repo.Secret)) {
		verified = false
	}
	// 13-15. Matching, DAG and cycles; path conditions too (paths.go).
	changes, paths := t.paths.evaluate(ctx, repo, h, m)
	plan, err := m.Plan(pipeline.Values{
		Branch: h.Target, Event: h.Event, Action: h.Action, Ref: h.Ref,
		Repo: repo.Slug, Target: h.Deployment, Cron: h.Cron, Changes: changes,
	})
	if err != nil {
		return t.errorBuild(ctx, repo, h, err.Error())
	}
	decide(paths, m, plan)
	for _, s := range plan.Skipped {
		log.Debug("pipeline trigger does not match", slog.String("pipeline", s.Pipeline.Name), slog.String("condition", s.Condition), slog.String("reason", s.Reason))
	}
	if len(plan.Stages) == 0 {
		return skip("no pipeline matches the trigger")
	}
	// 16-19. Build and stages, in one transaction.
	build := buildFromHook(repo, h, now)
	// What the stages run, whatever the extensions say later; steps that
	// path conditions skipped are disabled for the runners (paths.go).
	build.Config = runnerConfig(ctx, cfg.Data, plan)
	stages := stagesFor(repo, plan, verified, now)
	if err := t.store.CreateBuild(ctx, build, stages); err != nil {
		return nil, nil, err
	}
	t.paths.save(ctx, build, paths)
	reqlog.Annotate(ctx, slog.String("decision", "build"), slog.Int64("build", build.Number))
	// 20. Commit status (errors only logged).
	t.statuses.send(ctx, repo, build)
	// 21. Schedule the pending stages.
	for _, s := range stages {
		if s.Status == model.StatusPending {
			if err := t.sched.Schedule(ctx, s); err != nil {
				return build, stages, err
			}
		}
	}
	// 22. Outbound webhook.
	if err := t.webhook.Send(ctx, &wire.WebhookPayload{
		Event: wire.EventBuild, Action: wire.ActionCreated, Repo: toWireRepo(repo), Build: toWireBuild(build, nil),
	}); err != nil {
		log.Warn("webhook build:created failed", slog.String("error", err.Error()))
	}
	// 23. Auto-cancel older pending builds of the same event and ref.
	if repo.CancelPush && h.Event == model.EventPush || repo.CancelPulls && h.Event == model.EventPullRequest {
		if n, err := t.store.SkipPending(ctx, repo.ID, build.Event, build.Ref, build.Number, now); err != nil {
			log.Warn("auto-cancel failed", slog.String("error", err.Error()))
		} else if n > 0 {
			reqlog.Annotate(ctx, slog.Int64("auto_cancelled", n))
		}
	}
	return build, stages, nil
}

// stagesFor makes one stage per matching pipeline (§4.2 step 18).
func stagesFor(repo *model.Repo, plan *pipeline.Plan, verified bool, now int64) []*model.Stage {
	stages := make([]*model.Stage, 0, len(plan.Stages))
	for i, ps := range plan.Stages {
		p := ps.Pipeline
		s := &model.Stage{
			RepoID: repo.ID, Number: i + 1, Name: ps.Name, Kind: p.Kind, Type: p.Type,
			OS: p.Platform.OS, Arch: p.Platform.Arch, Variant: p.Platform.Variant, Kernel: p.Platform.Version,
			Limit: p.Concurrency.Limit, LimitRepo: int(repo.Throttle), Labels: p.Node,
			OnSuccess: ps.OnSuccess, OnFailure: ps.OnFailure, Created: now, Updated: now,
		}
		if s.Kind == "pipeline" && s.Type == "" {
			s.Type = "docker"
		}
		if s.OS == "" {
			s.OS = "linux"
		}
		if s.Arch == "" {
			s.Arch = "amd64"
		}
		switch {
		case !verified:
			s.Status = model.StatusBlocked
		case len(p.DependsOn) == 0:
			s.Status = model.StatusPending
		default:
			s.Status = model.StatusWaiting
		}
		s.DependsOn = ps.DependsOn
		if s.Status == model.StatusWaiting && len(s.DependsOn) == 0 {
			s.Status = model.StatusPending
		}
		stages = append(stages, s)
	}
	return stages
}

// errorBuild records a build that failed before it could run (Drone's
// createBuildError): no stages, no status, no scheduling, no webhook.
func (t *triggerer) errorBuild(ctx context.Context, repo *model.Repo, h *model.Hook, msg string) (*model.Build, []*model.Stage, error) {
	now := t.now().Unix()
	b := buildFromHook(repo, h, now)
	b.Trigger, b.Params, b.Cron = "", nil, ""
	b.Status, b.Error = model.StatusError, msg
	b.Started, b.Finished = now, now
	if err := t.store.CreateBuild(ctx, b, nil); err != nil {
		return nil, nil, err
	}
	reqlog.Annotate(ctx, slog.String("decision", "error"), slog.Int64("build", b.Number), slog.String("build_error", msg))
	return b, nil, nil
}
