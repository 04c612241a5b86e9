package queue

import (
	"context"
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
}

// Queue hands stages to runners' long polls.
type Queue struct {
	store Store
	bus   events.Bus
	now   func() time.Time
	// OfferTTL is how long an offered stage waits for the runner's
	// Accept before it is offered to another runner.
	OfferTTL time.Duration
	// Rescan is how often a parked poll looks again without a wake-up
	// (offers expiring, wake-ups from replicas a local bus cannot hear).
	Rescan time.Duration

	mu      sync.Mutex
	runners map[string]seen // runner filters polling recently, for Explain
}

type seen struct {
	filter Filter
	at     time.Time
}

// New returns a queue over st, woken through bus.
func New(st Store, bus events.Bus, now func() time.Time) *Queue {
	if now == nil {
		now = time.Now
	}
	return &Queue{store: st, bus: bus, now: now, OfferTTL: time.Minute, Rescan: 10 * time.Second, runners: map[string]seen{}}
}

// Schedule wakes the parked polls: a stage became pending.
func (q *Queue) Schedule(ctx context.Context, _ *model.Stage) error {
	return q.bus.Publish(ctx, events.Queue)
}

// Request returns the oldest pending stage f may run, offered to this
// caller only, waiting until one appears or ctx ends (then ctx's error).
func (q *Queue) Request(ctx context.Context, f Filter) (*model.Stage, error) {
	q.remember(f)
	wake, stop := q.bus.Subscribe(events.Queue)
	defer stop()
	rescan := time.NewTicker(q.Rescan)
	defer rescan.Stop()
	for {
		st, err := q.next(ctx, f)
		if err != nil || st != nil {
			return st, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-wake:
		case <-rescan.C:
		}
	}
}

// next offers the first stage f matches that is free and within limits.
func (q *Queue) next(ctx context.Context, f Filter) (*model.Stage, error) {
	all, err := q.store.ListQueue(ctx)
	if err != nil {
		return nil, err
	}
	now := q.now()
	expired := now.Add(-q.OfferTTL).Unix()
	for _, st := range all {
		if st.Status != model.StatusPending || st.Machine != "" || st.Offered > expired {
			continue
		}
		if !f.Matches(st) || overLimit(st, all) != "" {
			continue
		}
		ok, err := q.store.OfferStage(ctx, st.ID, now.Unix(), expired)
		if err != nil {
			return nil, err
		}
		if ok {
			st.Offered = now.Unix()
			return st, nil
		}
	}
	return nil, nil
}

// runnerMemory is how long a runner's filter counts as polling.
const runnerMemory = 2 * time.Minute

func (q *Queue) remember(f Filter) {
	key := filterKey(f)
	q.mu.Lock()
	defer q.mu.Unlock()
	q.runners[key] = seen{f, q.now()}
	for k, s := range q.runners {
		if q.now().Sub(s.at) > runnerMemory {
			delete(q.runners, k)
		}
	}
}

func filterKey(f Filter) string {
	k := f.Kind + "\x00" + f.Type + "\x00" + f.OS + "\x00" + f.Arch + "\x00" + f.Variant + "\x00" + f.Kernel
	for _, l := range sortedLabels(f.Labels) {
		k += "\x00" + l
	}
	return k
}
