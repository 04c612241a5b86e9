package core

import (
	"context"
	"log/slog"
	"net/url"
	"time"

	"github.com/hangar-ci/hangar/services/core/events"
	"github.com/hangar-ci/hangar/services/core/logs"
	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/services/core/queue"
	"github.com/hangar-ci/hangar/services/core/rpc"
	"github.com/hangar-ci/hangar/shared/reqlog"
	"github.com/hangar-ci/hangar/shared/sqldb"
	"github.com/hangar-ci/hangar/shared/wire"
)

// runnerStore is what runners need of the store beyond the trigger's part.
type runnerStore interface {
	rpc.Store
	queue.Store
	logs.Store
	ListStale(ctx context.Context, before int64) ([]*model.Stage, error)
	ReleaseStage(ctx context.Context, st *model.Stage, now int64) error
	ListRunningBuilds(ctx context.Context) ([]*model.Build, error)
	ListIncomplete(ctx context.Context) ([]*model.Stage, error)
	EndSteps(ctx context.Context, stageID int64, status string, now int64) error
}

// runners are the parts that hand stages to runners and keep their logs.
type runners struct {
	bus events.Bus
	// pg is the bus when replicas share PostgreSQL, else nil.
	pg    *events.Postgres
	queue *queue.Queue
	logs  *logs.Logs
	rpc   *rpc.Server
}

// newRunners wires the queue, logs and runner protocol of s.
// On PostgreSQL its wake-ups reach every replica.
func newRunners(s *service, log *slog.Logger) (*runners, error) {
	o := s.opts.Runner.withDefaults()
	var bus events.Bus = events.NewLocal()
	var pg *events.Postgres
	if h, ok := s.store.(interface{ DB() *sqldb.DB }); ok && h.DB().Dialect == sqldb.Postgres {
		var err error
		if pg, err = events.NewPostgres(s.base, h.DB().DB, log); err != nil {
			return nil, err
		}
		bus = pg
	}
	q := queue.New(s.store, bus, s.trigger.now)
	if log != nil {
		q.Log = log
	}
	if pg != nil {
		// Wake-ups reach every replica; the re-read is only a safety net.
		q.Rescan = 30 * time.Second
	}
	l := logs.New(s.store, bus, o.LogLimit)
	beat := min(max(o.DeadRunner/6, time.Second), 20*time.Second)
	srv := rpc.New(rpc.Config{
		Secret:  o.RPCSecret,
		System:  wire.System{Proto: s.opts.ServerProto, Host: s.opts.ServerHost, Link: s.opts.ServerProto + "://" + s.opts.ServerHost},
		Netrc:   s.netrc,
		Beat:    beat,
		Secrets: s.stageSecrets,
	}, s.store, q, l, bus, lifecycle{s}, s.trigger.now)
	return &runners{bus: bus, pg: pg, queue: q, logs: l, rpc: srv}, nil
}

// lifecycle moves stages for the runner protocol through the code that
// advances the DAG for every other caller.
type lifecycle struct{ s *service }

func (l lifecycle) load(ctx context.Context, buildID int64) (*model.Repo, *model.Build, []*model.Stage, error) {
	b, err := l.s.store.FindBuildID(ctx, buildID)
	if err != nil {
		return nil, nil, nil, err
	}
	repo, err := l.s.store.FindRepo(ctx, b.RepoID)
	if err != nil {
		return nil, nil, nil, err
	}
	stages, err := l.s.store.ListStages(ctx, b.ID)
	if err != nil {
		return nil, nil, nil, err
	}
	return repo, b, stages, nil
}

// Start records the stage running; the build starts with its first stage.
func (l lifecycle) Start(ctx context.Context, st *model.Stage) error {
	b, err := l.s.store.FindBuildID(ctx, st.BuildID)
	if err != nil {
		return err
	}
	repo, err := l.s.store.FindRepo(ctx, b.RepoID)
	if err != nil {
		return err
	}
	return l.s.startStage(ctx, repo, b, st, l.s.trigger.now().Unix())
}

// Finish records the stage's final state and advances the build. The
// stage is saved before the build's stages are read, so of two parallel
// stages finishing at once the later reader sees both done.
func (l lifecycle) Finish(ctx context.Context, st *model.Stage) error {
	now := l.s.trigger.now().Unix()
	if st.Started == 0 {
		st.Started = now
	}
	st.Stopped, st.Updated = now, now
	if err := l.s.store.UpdateStage(ctx, st); err != nil {
		return err
	}
	repo, b, stages, err := l.load(ctx, st.BuildID)
	if err != nil {
		return err
	}
	for i, x := range stages {
		if x.ID == st.ID {
			stages[i] = st // the caller's copy, whose version is current
		}
	}
	return l.s.finishStage(ctx, repo, b, stages, st, l.s.trigger.now().Unix())
}

// StepUpdated sends build:updated with the build's stages, as Drone does
// on every step update; with no webhook configured nothing is read.
func (l lifecycle) StepUpdated(ctx context.Context, step *model.Step) {
	if _, off := l.s.trigger.webhook.(noWebhook); off {
		return
	}
	repo, b, stages, err := l.load(ctx, step.BuildID)
	if err != nil {
		reqlog.From(ctx).Warn("webhook build:updated for a step skipped", slog.String("error", err.Error()))
		return
	}
	l.s.notify(ctx, repo, b, stages)
}

// netrc is the clone credential of a repository: Drone's fixed
// DRONE_GIT_USERNAME/PASSWORD, else the token Hangar holds for the
// repository's SCM. Public repositories get none unless
// DRONE_GIT_ALWAYS_AUTH is set. The machine is the clone URL's host.
func (s *service) netrc(repo *model.Repo) *rpc.Netrc {
	o := s.opts.Runner
	if !repo.Private && !o.GitAlwaysAuth {
		return nil
	}
	u, err := url.Parse(repo.HTTPURL)
	if err != nil || u.Hostname() == "" {
		return nil
	}
	n := &rpc.Netrc{Machine: u.Hostname()}
	switch {
	case o.GitUsername != "" || o.GitPassword != "":
		n.Login, n.Password = o.GitUsername, o.GitPassword
	case repo.SCM == "github" && s.opts.GitHubToken != "":
		n.Login, n.Password = s.opts.GitHubToken, "x-oauth-basic"
	case repo.SCM == "gitlab" && s.opts.GitLabToken != "":
		n.Login, n.Password = "oauth2", s.opts.GitLabToken
	default:
		return nil
	}
	return n
}
