package core

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/hangar-ci/hangar/services/core/events"
	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/services/core/store"
	"github.com/hangar-ci/hangar/shared/httperr"
	"github.com/hangar-ci/hangar/shared/reqlog"
	"github.com/hangar-ci/hangar/shared/wire"
)

// listBuilds is GET …/builds, newest first, paged (?page=, ?per_page=) and
// filtered on the server by ?branch=, ?event=, ?status= and ?author=.
func (s *service) listBuilds(w http.ResponseWriter, r *http.Request) {
	repo, err := s.findRepo(r)
	if err != nil {
		httperr.Write(w, r, err)
		return
	}
	q := r.URL.Query()
	page, perPage := atoiOr(q.Get("page"), 1), atoiOr(q.Get("per_page"), 25)
	if page < 1 || perPage < 1 || perPage > 100 {
		httperr.Write(w, r, httperr.New(httperr.Invalid, "page must be ≥ 1 and per_page between 1 and 100"))
		return
	}
	f := store.BuildFilter{Branch: q.Get("branch"), Event: q.Get("event"), Status: q.Get("status"), Author: q.Get("author")}
	builds, err := s.db.FilterBuilds(r.Context(), repo.ID, f, perPage, (page-1)*perPage)
	if err != nil {
		httperr.Write(w, r, storeError(err, "builds"))
		return
	}
	out := make([]*wire.Build, 0, len(builds))
	for _, b := range builds {
		out = append(out, toWireBuild(b, nil))
	}
	wire.WriteJSON(w, http.StatusOK, out)
}

// loadBuild resolves /builds/{number} with its stages.
func (s *service) loadBuild(r *http.Request) (*model.Repo, *model.Build, []*model.Stage, error) {
	repo, err := s.findRepo(r)
	if err != nil {
		return nil, nil, nil, err
	}
	n, err := strconv.ParseInt(r.PathValue("number"), 10, 64)
	if err != nil || n < 1 {
		return nil, nil, nil, httperr.New(httperr.Invalid, "build number %q is not a positive integer", r.PathValue("number"))
	}
	b, err := s.store.FindBuild(r.Context(), repo.ID, n)
	if err != nil {
		return nil, nil, nil, storeError(err, "build")
	}
	stages, err := s.store.ListStages(r.Context(), b.ID)
	if err != nil {
		return nil, nil, nil, storeError(err, "stages")
	}
	return repo, b, stages, nil
}

func (s *service) showBuild(w http.ResponseWriter, r *http.Request) {
	_, b, stages, err := s.loadBuild(r)
	if err != nil {
		httperr.Write(w, r, err)
		return
	}
	s.writeBuild(w, r, b, stages)
}

// cancelBuild kills a build (§4.4): unfinished stages become killed when
// started and skipped otherwise.
func (s *service) cancelBuild(w http.ResponseWriter, r *http.Request) {
	repo, b, stages, err := s.loadBuild(r)
	if err != nil {
		httperr.Write(w, r, err)
		return
	}
	if model.Done(b.Status) {
		httperr.Write(w, r, httperr.New(httperr.Conflict, "build %d already finished (%s)", b.Number, b.Status))
		return
	}
	if err := s.cancel(r.Context(), repo, b, stages); err != nil {
		httperr.Write(w, r, err)
		return
	}
	wire.WriteJSON(w, http.StatusOK, toWireBuild(b, stages))
}

// cancel kills a build: its runners' watches answer "cancel", unfinished
// stages become killed when started and skipped otherwise, then the
// commit status and build:updated follow.
func (s *service) cancel(ctx context.Context, repo *model.Repo, b *model.Build, stages []*model.Stage) error {
	now := s.trigger.now().Unix()
	b.Status, b.Finished, b.Updated = model.StatusKilled, now, now
	if b.Started == 0 {
		b.Started = now
	}
	if err := s.store.UpdateBuild(ctx, b); err != nil {
		return storeError(err, "build")
	}
	s.runners.bus.Publish(ctx, events.Build(b.ID)) // the runners' watches answer "cancel"
	for _, st := range stages {
		if model.Done(st.Status) {
			continue
		}
		st.Status = model.StatusSkipped
		if st.Started != 0 {
			st.Status = model.StatusKilled
		} else {
			st.Started = now
		}
		st.Stopped, st.Updated = now, now
		if err := s.store.UpdateStage(ctx, st); err != nil {
			return storeError(err, "stage")
		}
		// The runner reports its killed steps too; until then they show so.
		if err := s.store.EndSteps(ctx, st.ID, model.StatusKilled, now); err != nil {
			return storeError(err, "steps")
		}
	}
	s.trigger.statuses.send(ctx, repo, b)
	s.notify(ctx, repo, b, stages)
	return nil
}

// notify sends build:updated with the stages attached.
func (s *service) notify(ctx context.Context, repo *model.Repo, b *model.Build, stages []*model.Stage) {
	wr := toWireRepo(repo)
	wr.Build = toWireBuild(b, nil)
	if err := s.trigger.webhook.Send(ctx, &wire.WebhookPayload{
		Event: wire.EventBuild, Action: wire.ActionUpdated, Repo: wr, Build: toWireBuild(b, stages),
	}); err != nil {
		reqlog.From(ctx).Warn("webhook build:updated failed", slog.String("error", err.Error()))
	}
}

// blockedStage resolves /…/{approve,decline}/{stage}: the stage must be
// blocked.
func (s *service) blockedStage(r *http.Request) (*model.Repo, *model.Build, []*model.Stage, *model.Stage, error) {
	repo, b, stages, err := s.loadBuild(r)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	n, err := strconv.Atoi(r.PathValue("stage"))
	if err != nil {
		return nil, nil, nil, nil, httperr.New(httperr.Invalid, "stage number %q is not an integer", r.PathValue("stage"))
	}
	for _, st := range stages {
		if st.Number == n {
			if st.Status != model.StatusBlocked {
				return nil, nil, nil, nil, httperr.New(httperr.Conflict, "stage %d is %s, not blocked", n, st.Status)
			}
			return repo, b, stages, st, nil
		}
	}
	return nil, nil, nil, nil, httperr.New(httperr.NotFound, "build %d has no stage %d", b.Number, n)
}

// approveStage lets a blocked stage run: pending and scheduled at once,
// regardless of its dependencies, as Drone does.
func (s *service) approveStage(w http.ResponseWriter, r *http.Request) {
	_, b, stages, st, err := s.blockedStage(r)
	if err != nil {
		httperr.Write(w, r, err)
		return
	}
	st.Status, st.Updated = model.StatusPending, s.trigger.now().Unix()
	if err := s.store.UpdateStage(r.Context(), st); err != nil {
		httperr.Write(w, r, storeError(err, "stage"))
		return
	}
	if err := s.trigger.sched.Schedule(r.Context(), st); err != nil {
		httperr.Write(w, r, httperr.Wrap(httperr.Unavailable, err, "stage approved but not scheduled: %v", err))
		return
	}
	wire.WriteJSON(w, http.StatusOK, toWireBuild(b, stages))
}

// declineStage refuses a blocked stage: the stage and the build become
// declined (no webhook, no status, as Drone).
func (s *service) declineStage(w http.ResponseWriter, r *http.Request) {
	_, b, stages, st, err := s.blockedStage(r)
	if err != nil {
		httperr.Write(w, r, err)
		return
	}
	now := s.trigger.now().Unix()
	st.Status, st.Started, st.Stopped, st.Updated = model.StatusDeclined, now, now, now
	if err := s.store.UpdateStage(r.Context(), st); err != nil {
		httperr.Write(w, r, storeError(err, "stage"))
		return
	}
	b.Status, b.Updated = model.StatusDeclined, now
	if b.Started == 0 {
		b.Started = now
	}
	b.Finished = now
	if err := s.store.UpdateBuild(r.Context(), b); err != nil {
		httperr.Write(w, r, storeError(err, "build"))
		return
	}
	wire.WriteJSON(w, http.StatusOK, toWireBuild(b, stages))
}

func atoiOr(s string, def int) int {
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}

// stageReport is a runner's report on a stage.
type stageReport struct {
	Status   string `json:"status"`
	ExitCode int    `json:"exit_code"`
	Error    string `json:"error"`
}

// reportStage takes a runner's report for a pending or running stage:
// running, or a final status (success, failure, error, killed, skipped).
func (s *service) reportStage(w http.ResponseWriter, r *http.Request) {
	repo, b, stages, err := s.loadBuild(r)
	if err != nil {
		httperr.Write(w, r, err)
		return
	}
	var in stageReport
	if err := decodeAPI(w, r, &in); err != nil {
		httperr.Write(w, r, err)
		return
	}
	n, err := strconv.Atoi(r.PathValue("stage"))
	var st *model.Stage
	for _, x := range stages {
		if err == nil && x.Number == n {
			st = x
		}
	}
	switch {
	case st == nil:
		httperr.Write(w, r, httperr.New(httperr.NotFound, "build %d has no stage %q", b.Number, r.PathValue("stage")))
		return
	case st.Status != model.StatusPending && st.Status != model.StatusRunning:
		httperr.Write(w, r, httperr.New(httperr.Conflict, "stage %d is %s: only a pending or running stage takes reports", n, st.Status))
		return
	}
	now := s.trigger.now().Unix()
	switch in.Status {
	case model.StatusRunning:
		err = s.startStage(r.Context(), repo, b, st, now)
	case model.StatusPassing, model.StatusFailing, model.StatusError, model.StatusKilled, model.StatusSkipped:
		st.Status, st.ExitCode, st.Error = in.Status, in.ExitCode, truncRunes(in.Error, 500)
		err = s.finishStage(r.Context(), repo, b, stages, st, now)
	default:
		httperr.Write(w, r, httperr.New(httperr.Invalid, "status %q is not running, success, failure, error, killed or skipped", in.Status))
		return
	}
	if err != nil {
		httperr.Write(w, r, storeError(err, "stage"))
		return
	}
	wire.WriteJSON(w, http.StatusOK, toWireBuild(b, stages))
}

// listQueue is Drone's GET /api/queue: the unfinished stages of every
// repository, oldest first, each waiting one with the reason (no runner
// polling, none with matching labels, over a limit, dependencies, blocked).
func (s *service) listQueue(w http.ResponseWriter, r *http.Request) {
	stages, err := s.store.ListIncomplete(r.Context())
	if err != nil {
		httperr.Write(w, r, storeError(err, "queue"))
		return
	}
	reasons, err := s.runners.queue.Explain(r.Context(), stages)
	if err != nil {
		httperr.Write(w, r, storeError(err, "runners"))
		return
	}
	out := make([]queuedStage, 0, len(stages))
	for i, st := range stages {
		out = append(out, queuedStage{toWireStage(st), reasons[i]})
	}
	wire.WriteJSON(w, http.StatusOK, out)
}

// queuedStage is a stage of the queue with why it is not running yet.
type queuedStage struct {
	*wire.Stage
	Reason string `json:"reason,omitempty"`
}
