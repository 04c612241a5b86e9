package core

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"time"

	"github.com/drone/drone-go/drone"

	"github.com/hangar-ci/hangar/services/core/cron"
	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/services/core/store"
	"github.com/hangar-ci/hangar/shared/httperr"
	"github.com/hangar-ci/hangar/shared/wire"
)

func toDroneCron(c *model.Cron) *drone.Cron {
	return &drone.Cron{ID: c.ID, RepoID: c.RepoID, Name: c.Name, Expr: c.Expr, Next: c.Next, Prev: c.Prev, Event: c.Event,
		Branch: c.Branch, Target: c.Target, Disabled: c.Disabled, Created: c.Created, Updated: c.Updated}
}

var validCronName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,100}$`)

// cronIn is drone-go's Cron as a request body, every field optional.
type cronIn struct {
	Name     string  `json:"name"`
	Expr     string  `json:"expr"`
	Event    *string `json:"event"`
	Branch   *string `json:"branch"`
	Target   *string `json:"target"`
	Disabled *bool   `json:"disabled"`
	// Shown by the API, ignored on input.
	ID      int64 `json:"id"`
	RepoID  int64 `json:"repo_id"`
	Next    int64 `json:"next"`
	Prev    int64 `json:"prev"`
	Created int64 `json:"created"`
	Updated int64 `json:"updated"`
}

func (in *cronIn) apply(c *model.Cron) {
	for _, f := range []struct {
		dst *string
		v   *string
	}{{&c.Event, in.Event}, {&c.Branch, in.Branch}, {&c.Target, in.Target}} {
		// drone-go sends every field: an empty event or branch keeps the
		// current one (the target may be cleared).
		if f.v != nil && (*f.v != "" || f.dst == &c.Target) {
			*f.dst = *f.v
		}
	}
	if in.Disabled != nil {
		c.Disabled = *in.Disabled
	}
}

func (s *service) listCrons(w http.ResponseWriter, r *http.Request) {
	repo, _ := s.findRepo(r)
	list, err := s.db.ListCrons(r.Context(), repo.ID)
	if err != nil {
		httperr.Write(w, r, storeError(err, "cron jobs"))
		return
	}
	out := make([]*drone.Cron, 0, len(list))
	for _, c := range list {
		out = append(out, toDroneCron(c))
	}
	wire.WriteJSON(w, http.StatusOK, out)
}

// createCron is POST …/cron: the branch defaults to the repository's.
func (s *service) createCron(w http.ResponseWriter, r *http.Request) {
	repo, _ := s.findRepo(r)
	var in cronIn
	if err := decodeAPI(w, r, &in); err != nil {
		httperr.Write(w, r, err)
		return
	}
	now := time.Now()
	next, err := cron.Next(in.Expr, now)
	switch {
	case !validCronName.MatchString(in.Name):
		err = errors.New("a cron job needs a name (letters, digits, _ . -)")
	case err == nil && in.Event != nil && *in.Event != "" && *in.Event != model.EventPush && *in.Event != model.EventCron:
		err = errors.New("event must be push or cron")
	}
	if err != nil {
		httperr.Write(w, r, httperr.New(httperr.Invalid, "%v", err))
		return
	}
	c := &model.Cron{RepoID: repo.ID, Name: in.Name, Expr: in.Expr, Next: next.Unix(), Event: model.EventPush,
		Branch: repo.Branch, Created: now.Unix(), Updated: now.Unix()}
	in.apply(c)
	if err := s.db.CreateCron(r.Context(), c); err != nil {
		httperr.Write(w, r, storeError(err, "cron job "+in.Name))
		return
	}
	wire.WriteJSON(w, http.StatusOK, toDroneCron(c))
}

func (s *service) findCron(w http.ResponseWriter, r *http.Request) (*model.Repo, *model.Cron, bool) {
	repo, _ := s.findRepo(r)
	c, err := s.db.FindCron(r.Context(), repo.ID, r.PathValue("cron"))
	if err != nil {
		httperr.Write(w, r, storeError(err, "cron job "+r.PathValue("cron")))
		return nil, nil, false
	}
	return repo, c, true
}

func (s *service) showCron(w http.ResponseWriter, r *http.Request) {
	if _, c, ok := s.findCron(w, r); ok {
		wire.WriteJSON(w, http.StatusOK, toDroneCron(c))
	}
}

func (s *service) updateCron(w http.ResponseWriter, r *http.Request) {
	_, c, ok := s.findCron(w, r)
	if !ok {
		return
	}
	var in cronIn
	if err := decodeAPI(w, r, &in); err != nil {
		httperr.Write(w, r, err)
		return
	}
	in.apply(c)
	c.Updated = time.Now().Unix()
	if err := s.db.UpdateCron(r.Context(), c); err != nil {
		httperr.Write(w, r, storeError(err, "cron job"))
		return
	}
	wire.WriteJSON(w, http.StatusOK, toDroneCron(c))
}

// deleteCron is DELETE …/cron/{cron}; deleting a missing job is a success
// (204), because drone-cli's `cron rm` sends its DELETE twice.
func (s *service) deleteCron(w http.ResponseWriter, r *http.Request) {
	repo, _ := s.findRepo(r)
	c, err := s.db.FindCron(r.Context(), repo.ID, r.PathValue("cron"))
	if errors.Is(err, store.ErrNotFound) {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if err != nil {
		httperr.Write(w, r, storeError(err, "cron job"))
		return
	}
	if err := s.db.DeleteCron(r.Context(), c.ID); err != nil {
		httperr.Write(w, r, storeError(err, "cron job"))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// execCron is POST …/cron/{cron}: the job's build, now.
func (s *service) execCron(w http.ResponseWriter, r *http.Request) {
	repo, c, ok := s.findCron(w, r)
	if !ok {
		return
	}
	head, err := s.resolveCommit(r.Context(), repo, c.Branch, "")
	if err != nil {
		httperr.Write(w, r, err)
		return
	}
	s.startFrom(w, r, repo, cronHook(c, head))
}

// cronHook is the hook of a cron build: Drone's event "cron" at the head
// of the job's branch, named after the job.
func cronHook(c *model.Cron, head Commit) *model.Hook {
	return &model.Hook{
		Trigger: "@cron", Event: model.EventCron, Ref: "refs/heads/" + c.Branch, Source: c.Branch, Target: c.Branch,
		Before: head.SHA, After: head.SHA, Link: head.Link, Message: head.Message, Author: head.AuthorLogin,
		AuthorName: head.AuthorName, AuthorEmail: head.AuthorEmail, AuthorAvatar: head.Avatar,
		Cron: c.Name, Deployment: c.Target, Sender: "cron",
	}
}

// fireCron starts a claimed job's build, unless the repository is
// inactive.
func (s *service) fireCron(ctx context.Context, c *model.Cron) error {
	repo, err := s.store.FindRepo(ctx, c.RepoID)
	if err != nil {
		return err
	}
	if !repo.Active {
		return nil
	}
	head, err := s.resolveCommit(ctx, repo, c.Branch, "")
	if err != nil {
		return err
	}
	_, _, err = s.trigger.trigger(ctx, repo, cronHook(c, head))
	return err
}

// logOrDefault is the service's logger; none given (tests) discards.
func logOrDefault(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}

// runCron starts the scheduler when DRONE_CRON_INTERVAL is positive; the
// function it returns waits for the scheduler to stop once ctx ends.
func (s *service) runCron(ctx context.Context) (wait func()) {
	if s.opts.Auth.CronInterval <= 0 {
		return func() {}
	}
	sch := &cron.Scheduler{Store: s.db, Interval: s.opts.Auth.CronInterval, Fire: s.fireCron, Log: s.log, Now: time.Now}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sch.Run(ctx)
	}()
	return func() { <-done }
}
