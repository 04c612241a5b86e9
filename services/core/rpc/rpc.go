// Package rpc is Drone's runner protocol v2 (/rpc/v2, drone-protocol.md
// §6) as runner-go v1.3.1 and v1.12.0 clients speak it: unchanged
// drone-runner-exec, -docker and -kube poll for stages, accept them, fetch
// their details, report stages and steps, send logs and watch for cancels.
// Each call of a stage's life is one file; the handlers decode, check and
// encode, the queue, logs and the core's lifecycle do the rest.
package rpc

import (
	"context"
	"crypto/subtle"
	"errors"
	"github.com/drone/drone-go/drone"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/hangar-ci/hangar/services/core/events"
	"github.com/hangar-ci/hangar/services/core/logs"
	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/services/core/queue"
	"github.com/hangar-ci/hangar/services/core/store"
	"github.com/hangar-ci/hangar/shared/httperr"
	"github.com/hangar-ci/hangar/shared/wire"
)

// Store is what the protocol reads and writes directly.
type Store interface {
	FindRepo(ctx context.Context, id int64) (*model.Repo, error)
	FindBuildID(ctx context.Context, id int64) (*model.Build, error)
	FindBuildConfig(ctx context.Context, buildID int64) (string, error)
	FindStage(ctx context.Context, id int64) (*model.Stage, error)
	ListStages(ctx context.Context, buildID int64) ([]*model.Stage, error)
	AcceptStage(ctx context.Context, id int64, machine string, now int64) (*model.Stage, error)
	Beat(ctx context.Context, buildID, now int64) error
	FindStep(ctx context.Context, id int64) (*model.Step, error)
	ListSteps(ctx context.Context, buildID int64) ([]*model.Step, error)
	SaveSteps(ctx context.Context, steps []*model.Step) error
	UpdateStep(ctx context.Context, st *model.Step) error
	DeleteLines(ctx context.Context, stageID int64) error
}

// Lifecycle moves a stage and its build as a runner reports it.
type Lifecycle interface {
	// Start records a stage as running (the build starts with its first).
	Start(ctx context.Context, st *model.Stage) error
	// Finish records a stage's final state and advances the build.
	Finish(ctx context.Context, st *model.Stage) error
	// StepUpdated announces a step's new state (Drone's build:updated).
	StepUpdated(ctx context.Context, step *model.Step)
}

// Netrc is the clone credential a runner writes to ~/.netrc.
type Netrc struct {
	Machine  string `json:"machine"`
	Login    string `json:"login"`
	Password string `json:"password"`
}

// Config is what the protocol needs beside its parts.
type Config struct {
	// Secret is DRONE_RPC_SECRET; empty closes the protocol (403).
	Secret string
	System wire.System
	// Netrc returns the clone credential for a repository, or nil.
	Netrc func(*model.Repo) *Netrc
	// Poll bounds a stage request and Watch a build watch (both < 30 s).
	Poll, Watch time.Duration
	// Beat is how often a parked watch records its runner as alive.
	Beat time.Duration
	// DefaultTimeout is the build timeout, in minutes, runners get for a
	// repository that has none.
	DefaultTimeout int64
	// Secrets returns the stored secrets a build may see, opened (nil:
	// none are handed over; runners still ask their secret extension).
	Secrets func(ctx context.Context, repo *model.Repo, b *model.Build, yaml string) ([]*drone.Secret, error)
}

// Server serves /rpc/v2.
type Server struct {
	cfg   Config
	store Store
	queue *queue.Queue
	logs  *logs.Logs
	bus   events.Bus
	life  Lifecycle
	now   func() time.Time
}

// New returns the protocol's server.
func New(cfg Config, st Store, q *queue.Queue, l *logs.Logs, bus events.Bus, life Lifecycle, now func() time.Time) *Server {
	if cfg.Poll <= 0 {
		cfg.Poll = 25 * time.Second
	}
	if cfg.Watch <= 0 {
		cfg.Watch = 25 * time.Second
	}
	if cfg.Beat <= 0 {
		cfg.Beat = 5 * time.Second
	}
	if cfg.DefaultTimeout <= 0 {
		cfg.DefaultTimeout = 60
	}
	return &Server{cfg: cfg, store: st, queue: q, logs: l, bus: bus, life: life, now: now}
}

// Handler routes /rpc/v2/…, every path behind the token.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /rpc/v2/ping", ok)
	mux.HandleFunc("POST /rpc/v2/nodes/{machine}", ok)
	mux.HandleFunc("DELETE /rpc/v2/nodes/{machine}", ok)
	mux.HandleFunc("POST /rpc/v2/stage", s.request)
	mux.HandleFunc("POST /rpc/v2/stage/{id}", s.accept)
	mux.HandleFunc("GET /rpc/v2/stage/{id}", s.details)
	mux.HandleFunc("PUT /rpc/v2/stage/{id}", s.updateStage)
	mux.HandleFunc("PUT /rpc/v2/step/{id}", s.updateStep)
	mux.HandleFunc("POST /rpc/v2/step/{id}/logs/batch", s.batch)
	mux.HandleFunc("POST /rpc/v2/step/{id}/logs/upload", s.upload)
	mux.HandleFunc("POST /rpc/v2/step/{id}/card", s.card)
	mux.HandleFunc("POST /rpc/v2/build/{id}/watch", s.watch)
	return s.authorize(mux)
}

// authorize checks X-Drone-Token against the RPC secret in constant time
// before anything of the request is read.
func (s *Server) authorize(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.Secret == "" {
			httperr.Write(w, r, httperr.New(httperr.Forbidden, "the runner protocol is disabled: set DRONE_RPC_SECRET"))
			return
		}
		tok := r.Header.Get("X-Drone-Token")
		if tok == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(s.cfg.Secret)) != 1 {
			httperr.Write(w, r, httperr.New(httperr.Unauthorized, "missing or wrong X-Drone-Token (DRONE_RPC_SECRET)"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func ok(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }

// pathID parses the {id} of the path.
func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, httperr.New(httperr.Invalid, "id %q is not a positive integer", r.PathValue("id"))
	}
	return id, nil
}

// storeError maps a store error: unknown → 404, moved on → 409 (runner-go
// stops retrying), anything else → 503 with the reason (runner-go retries).
func storeError(err error, what string) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return httperr.Wrap(httperr.NotFound, err, "%s not found", what)
	case errors.Is(err, store.ErrConflict):
		return httperr.Wrap(httperr.Conflict, err, "%v", err)
	}
	var he *httperr.Error
	if errors.As(err, &he) {
		return err
	}
	return httperr.Wrap(httperr.Unavailable, err, "database unavailable: %v", err)
}

// maxBody bounds the JSON bodies of stage and step updates.
const maxBody = 1 << 20

func decode(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	body, err := readAll(w, r, limit)
	if err != nil {
		return err
	}
	return wire.DecodeBytes(body, v, false)
}

func readAll(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		return nil, httperr.Wrap(httperr.TooLarge, err, "body unreadable or over %d bytes", limit)
	}
	return b, nil
}
