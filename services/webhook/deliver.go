package webhook

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"reflect"
	"sync"
	"time"
)

// dispatcher runs one worker per sink, started and stopped as the sinks
// file changes. Workers share nothing but the store, so a slow or dead sink
// holds up only its own deliveries, and never the intake.
type dispatcher struct {
	store  store
	sinks  *sinkSet
	client *http.Client
	logger *slog.Logger
	poll   time.Duration
	// retention is how long delivered events are kept; 0 keeps them.
	retention time.Duration
	metrics   *metrics
	// owned means no other process uses the store (SQLite), so leases
	// left by a killed process can be dropped at start.
	owned bool

	mu      sync.Mutex
	workers map[string]*worker
}

// Run delivers until ctx ends.
func (d *dispatcher) Run(ctx context.Context) error {
	if d.owned {
		if err := d.store.ReleaseAll(ctx); err != nil {
			return err
		}
	}
	defer d.stopAll()
	ticker := time.NewTicker(d.poll)
	defer ticker.Stop()
	var lastPrune time.Time
	for {
		d.sinks.refresh(ctx)
		d.reconcile(ctx)
		if d.retention > 0 && time.Since(lastPrune) > pruneEvery {
			lastPrune = time.Now()
			d.prune(ctx)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
	}
}

// pruneEvery spaces the retention sweeps.
const pruneEvery = 10 * time.Minute

// prune deletes old, fully delivered events in small batches, so SQLite's
// single writer is never held long.
func (d *dispatcher) prune(ctx context.Context) {
	cutoff := time.Now().Add(-d.retention)
	var total int64
	for ctx.Err() == nil {
		n, err := d.store.Prune(ctx, cutoff, 500)
		if err != nil {
			d.logger.Warn("pruning old events", slog.String("error", err.Error()))
			return
		}
		total += n
		if n < 500 {
			break
		}
	}
	if total > 0 {
		d.logger.Info("pruned delivered events", slog.Int64("events", total), slog.Time("before", cutoff))
	}
}

// reconcile starts a worker for each sink and stops workers of sinks that
// are gone or changed. A changed sink's old worker is stopped (its attempts
// in flight ended) before the new one starts, so no delivery is attempted
// twice at once; the lock is not held meanwhile, so the intake's wakeAll
// never waits on a sink.
func (d *dispatcher) reconcile(ctx context.Context) {
	sinks, _ := d.sinks.Sinks()
	want := map[string]Sink{}
	for _, s := range sinks {
		want[s.Name] = s
	}
	var stale []*worker
	d.mu.Lock()
	if d.workers == nil {
		d.workers = map[string]*worker{}
	}
	for name, w := range d.workers {
		if s, ok := want[name]; !ok || !reflect.DeepEqual(s, w.sink) {
			stale = append(stale, w)
			delete(d.workers, name)
		}
	}
	d.mu.Unlock()
	for _, w := range stale {
		w.stop()
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for name, s := range want {
		if _, ok := d.workers[name]; ok {
			continue
		}
		w := &worker{d: d, sink: s, wake: make(chan struct{}, 1), done: make(chan struct{})}
		wctx, cancel := context.WithCancel(ctx)
		w.cancel = cancel
		d.workers[name] = w
		go w.run(wctx)
	}
}

func (d *dispatcher) stopAll() {
	d.mu.Lock()
	workers := d.workers
	d.workers = nil
	d.mu.Unlock()
	for _, w := range workers {
		w.stop()
	}
}

// wakeAll tells every worker that events were stored.
func (d *dispatcher) wakeAll() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, w := range d.workers {
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
}

// worker delivers to one sink: up to Concurrency attempts in flight, each
// the oldest pending delivery of a different build.
type worker struct {
	d      *dispatcher
	sink   Sink
	wake   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}
}

func (w *worker) stop() {
	w.cancel()
	<-w.done
}

func (w *worker) run(ctx context.Context) {
	defer close(w.done)
	st, log := w.d.store, w.d.logger.With(slog.String("sink", w.sink.Name))
	inflight := map[int64]bool{}
	finished := make(chan int64, w.sink.Concurrency)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		wait := w.d.poll
		if len(inflight) < w.sink.Concurrency {
			now := time.Now()
			due, err := st.Due(ctx, w.sink.Name, now, 2*w.sink.Concurrency)
			if err != nil && ctx.Err() == nil {
				log.Error("reading due deliveries", slog.String("error", err.Error()))
			}
			for _, dl := range due {
				if inflight[dl.ID] || len(inflight) >= w.sink.Concurrency {
					continue
				}
				// Leases keep replicas sharing PostgreSQL apart; a store this
				// process owns needs only the in-flight set, which saves a
				// write per delivery on SQLite's single writer.
				if !w.d.owned {
					ok, err := st.Claim(ctx, dl.ID, now, now.Add(2*w.sink.Timeout))
					if err != nil || !ok {
						continue // another replica took it, or the store is failing
					}
				}
				inflight[dl.ID] = true
				wg.Go(func() {
					w.attempt(ctx, dl, log)
					finished <- dl.ID
				})
			}
			// With attempts in flight, their end wakes the loop; only an
			// idle worker needs to know when a backoff runs out.
			if len(inflight) == 0 {
				if next, ok, err := st.NextDue(ctx, w.sink.Name); err == nil && ok {
					wait = min(wait, time.Until(next))
				}
			}
		}
		// A floor keeps a delivery whose lease ran out while still in
		// flight from turning this loop into a spin.
		timer := time.NewTimer(max(wait, 5*time.Millisecond))
		select {
		case <-ctx.Done():
			timer.Stop()
			for len(inflight) > 0 {
				delete(inflight, <-finished)
			}
			return
		case id := <-finished:
			delete(inflight, id)
		case <-w.wake:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// attempt sends one delivery and records what happened. An attempt cut
// short by shutdown or a sink change is released uncounted.
func (w *worker) attempt(ctx context.Context, dl Delivery, log *slog.Logger) {
	s := w.sink
	actx, cancel := context.WithTimeout(ctx, s.Timeout)
	status, err := send(actx, w.d.client, s, dl, time.Now())
	cancel()
	// Recording must survive shutdown: the attempt happened.
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer rcancel()
	if err != nil && ctx.Err() != nil {
		if rerr := w.d.store.Release(rctx, dl.ID); rerr != nil {
			log.Warn("releasing delivery", slog.Int64("delivery", dl.ID), slog.String("error", rerr.Error()))
		}
		return
	}
	now := time.Now()
	o := outcome{State: StateDelivered, Attempts: dl.Attempts + 1, NextAt: now, Status: status, Now: now}
	attrs := []any{slog.Int64("delivery", dl.ID), slog.String("event_key", dl.Event.Key), slog.Int("attempt", o.Attempts)}
	switch {
	case err == nil:
		log.Debug("delivered", attrs...)
	case o.Attempts >= s.MaxAttempts:
		o.State, o.Err = StateDead, err.Error()
		log.Error("delivery failed for the last time; dead-lettered", append(attrs, slog.String("error", err.Error()))...)
	default:
		var ae *attemptError
		var retryAfter time.Duration
		if errors.As(err, &ae) {
			retryAfter = ae.retryAfter
		}
		o.State, o.Err = StatePending, err.Error()
		o.NextAt = now.Add(backoff(s, o.Attempts, retryAfter, rand.Float64()))
		log.Warn("delivery failed; will retry", append(attrs, slog.String("error", err.Error()), slog.Time("next", o.NextAt))...)
	}
	w.d.metrics.deliveries.WithLabelValues(s.Name, o.State).Inc()
	if err := w.d.store.Record(rctx, dl.ID, o); err != nil {
		// The lease runs out and the delivery is attempted again: at
		// least once, never lost.
		log.Error("recording delivery attempt", append(attrs, slog.String("error", err.Error()))...)
	}
}

// backoff is the wait before attempt n+1: Backoff doubled per failed
// attempt up to MaxBackoff, of which a random half is kept ("equal
// jitter") so sinks recovering together are not hit in lock step. A longer
// Retry-After from the sink wins, within MaxBackoff.
func backoff(s Sink, attempts int, retryAfter time.Duration, r float64) time.Duration {
	d := s.Backoff
	for i := 1; i < attempts && d < s.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, s.MaxBackoff)
	d = d/2 + time.Duration(r*float64(d/2))
	if retryAfter > d {
		d = min(retryAfter, s.MaxBackoff)
	}
	return d
}
