package queue

import (
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/hangar-ci/hangar/services/core/events"
	"github.com/hangar-ci/hangar/services/core/model"
)

// Store is what the queue reads and writes.
type Store interface {
	// ListQueue returns every pending or running stage, oldest first.
	ListQueue(ctx context.Context) ([]*model.Stage, error)
	// OfferStage reserves a stage for one poller; see store.OfferStage.
	OfferStage(ctx context.Context, id, now, expired int64) (bool, error)
	// SeeRunner records a runner's filter as polling at now; ListRunners
	// returns those seen since (see store.SeeRunner).
	SeeRunner(ctx context.Context, key, filter string, now int64) error
	ListRunners(ctx context.Context, since int64) ([]string, error)
	// QueuePaused reports whether an administrator paused the queue, for
	// every replica; SetQueuePaused pauses or resumes it.
	QueuePaused(ctx context.Context) (bool, error)
	SetQueuePaused(ctx context.Context, paused bool) error
}

// Queue hands stages to runners' long polls. The polls parked in this
// process wait in line; one dispatcher (running while any poll waits)
// reads the queue on each wake-up and hands each poll the oldest stage it
// may run, so a new stage costs one read however many polls are parked.
type Queue struct {
	store Store
	bus   events.Bus
	now   func() time.Time
	// OfferTTL is how long an offered stage waits for the runner's
	// Accept before it is offered to another runner.
	OfferTTL time.Duration
	// Rescan is how often the dispatcher reads again without a wake-up
	// (offers expiring, wake-ups from replicas a local bus cannot hear).
	Rescan time.Duration
	// Log receives the dispatcher's read errors (the polls then just
	// wait: an idle poll is never answered an error).
	Log *slog.Logger

	mu      sync.Mutex
	waiting []*waiter            // parked polls, oldest first
	running bool                 // the dispatcher runs
	kick    chan struct{}        // a poll arrived: read now
	written map[string]time.Time // runner filters recorded by this process, by key
}

type waiter struct {
	filter Filter
	got    chan *model.Stage // buffered: the dispatcher never blocks
}

// New returns a queue over st, woken through bus.
func New(st Store, bus events.Bus, now func() time.Time) *Queue {
	if now == nil {
		now = time.Now
	}
	return &Queue{store: st, bus: bus, now: now, OfferTTL: time.Minute, Rescan: 10 * time.Second,
		Log: slog.New(slog.DiscardHandler), kick: make(chan struct{}, 1), written: map[string]time.Time{}}
}

// Schedule wakes the dispatcher: a stage became pending.
func (q *Queue) Schedule(ctx context.Context, _ *model.Stage) error {
	return q.bus.Publish(ctx, events.Queue)
}

// SetPaused pauses or resumes the queue of every replica. While paused no
// stage is handed out: parked polls keep waiting. A resume wakes the
// dispatcher at once (on other replicas: their next rescan, or the bus
// if it reaches them).
func (q *Queue) SetPaused(ctx context.Context, paused bool) error {
	if err := q.store.SetQueuePaused(ctx, paused); err != nil {
		return err
	}
	if paused {
		return nil
	}
	return q.bus.Publish(ctx, events.Queue)
}

// Request returns the oldest pending stage f may run, offered to this
// caller only, waiting until one appears or ctx ends (then ctx's error).
func (q *Queue) Request(ctx context.Context, f Filter) (*model.Stage, error) {
	q.remember(ctx, f)
	w := &waiter{filter: f, got: make(chan *model.Stage, 1)}
	q.mu.Lock()
	q.waiting = append(q.waiting, w)
	if !q.running {
		q.running = true
		go q.dispatch()
	} else {
		select {
		case q.kick <- struct{}{}:
		default:
		}
	}
	q.mu.Unlock()
	select {
	case st := <-w.got:
		return st, nil
	case <-ctx.Done():
		q.mu.Lock()
		q.waiting = slices.DeleteFunc(q.waiting, func(x *waiter) bool { return x == w })
		q.mu.Unlock()
		// Handed a stage just before it left: the stage is not lost.
		select {
		case st := <-w.got:
			return st, nil
		default:
			return nil, ctx.Err()
		}
	}
}

// dispatch reads the queue for the parked polls on every wake-up, kick
// and rescan, until no poll waits.
func (q *Queue) dispatch() {
	wake, stop := q.bus.Subscribe(events.Queue)
	defer stop()
	rescan := time.NewTicker(q.Rescan)
	defer rescan.Stop()
	for {
		// Subscribed before reading: a stage scheduled from now on wakes
		// this loop, one scheduled before is in the read.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := q.handOut(ctx); err != nil {
			q.Log.Warn("queue read failed", slog.String("error", err.Error()))
		}
		cancel()
		q.mu.Lock()
		if len(q.waiting) == 0 {
			q.running = false
			q.mu.Unlock()
			return
		}
		q.mu.Unlock()
		select {
		case <-wake:
		case <-q.kick:
		case <-rescan.C:
		}
	}
}

// handOut offers each stage that is free and within limits to the oldest
// parked poll whose filter matches it.
func (q *Queue) handOut(ctx context.Context) error {
	q.mu.Lock()
	n := len(q.waiting)
	q.mu.Unlock()
	if n == 0 {
		return nil
	}
	// Read on every wake-up: a pause made through another replica holds
	// this one from its next read.
	if paused, err := q.store.QueuePaused(ctx); err != nil || paused {
		return err
	}
	all, err := q.store.ListQueue(ctx)
	if err != nil {
		return err
	}
	now := q.now()
	expired := now.Add(-q.OfferTTL).Unix()
	for _, st := range all {
		if st.Status != model.StatusPending || st.Machine != "" || st.Offered > expired || overLimit(st, all) != "" {
			continue
		}
		w := q.first(st)
		if w == nil {
			continue
		}
		ok, err := q.store.OfferStage(ctx, st.ID, now.Unix(), expired)
		if err != nil {
			return err
		}
		if !ok {
			continue // offered by another replica meanwhile
		}
		st.Offered = now.Unix()
		if !q.give(w, st) {
			// The poll left while the offer was written: the next one in
			// line for the stage gets it instead.
			if w = q.first(st); w == nil || !q.give(w, st) {
				continue // it waits for the offer to expire
			}
		}
	}
	return nil
}

// first returns the oldest parked poll that may run st.
func (q *Queue) first(st *model.Stage) *waiter {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, w := range q.waiting {
		if w.filter.Matches(st) {
			return w
		}
	}
	return nil
}

// give hands st to w and takes w out of line, if w is still waiting.
func (q *Queue) give(w *waiter, st *model.Stage) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	i := slices.Index(q.waiting, w)
	if i < 0 {
		return false
	}
	q.waiting = slices.Delete(q.waiting, i, i+1)
	w.got <- st
	return true
}

// runnerMemory is how long a runner's filter counts as polling.
const runnerMemory = 2 * time.Minute

// remember records the runner's filter in the store, where every replica
// explains the queue from (a failure only costs the explanation). The key
// is the filter's JSON, canonical since encoding/json sorts map keys.
func (q *Queue) remember(ctx context.Context, f Filter) {
	b, _ := json.Marshal(f)
	key, now := string(b), q.now()
	// What this process wrote lately need not be written again: the
	// store keeps a sighting for two minutes.
	q.mu.Lock()
	if now.Sub(q.written[key]) < seenEvery {
		q.mu.Unlock()
		return
	}
	q.written[key] = now
	q.mu.Unlock()
	if err := q.store.SeeRunner(ctx, key, key, now.Unix()); err != nil {
		q.Log.Warn("recording the runner failed", slog.String("error", err.Error()))
	}
}

// seenEvery is how often this process records a kind of runner.
const seenEvery = 30 * time.Second
