// Package feed is Drone's global event stream, GET /api/stream: Server-Sent
// Events carrying, for each build that changes, its repository as JSON
// with the build embedded (the data of Drone's core.Message). The pages
// refresh what they show when one arrives.
//
// Changes are read from the database, not from an in-process bus: one
// poller per process asks the store every second for the builds changed
// (build or stage rows updated) in the last few seconds, so a change made
// through any replica reaches the clients of every replica. The poller
// runs only while a client listens.
package feed

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/hangar-ci/hangar/services/core/model"
)

// Event is one changed build.
type Event struct {
	// Build is the build's id; Print changes whenever the build or one of
	// its stages does.
	Build, Print int64
	// Repo is what Allow decides on.
	Repo *model.Repo
	// Data is the message: the repository JSON with the build embedded.
	Data []byte
}

// Source returns the builds changed at or after since (unix seconds).
type Source func(ctx context.Context, since int64) ([]Event, error)

// Allow reports whether the request's caller may see a repository's
// events, as the API would let them read it.
type Allow func(r *http.Request, repo *model.Repo) bool

// Options tune the feed; zero values take the defaults.
type Options struct {
	// Every is how often the store is read (1 s).
	Every time.Duration
	// Window is how far back each read looks (5 s): it covers the
	// seconds-granular timestamps and clock skew between replicas.
	Window time.Duration
	// Ping is the keep-alive comment interval (30 s, as Drone).
	Ping time.Duration
	// Max bounds one stream (1 h, as Drone v1.10.1); the browser
	// reconnects by itself.
	Max time.Duration
	Log *slog.Logger
	Now func() time.Time
}

// Feed serves GET /api/stream.
type Feed struct {
	src   Source
	allow Allow
	o     Options

	mu      sync.Mutex
	subs    map[chan Event]struct{}
	running bool
}

// New returns the feed over a source of changes.
func New(src Source, allow Allow, o Options) *Feed {
	if o.Every <= 0 {
		o.Every = time.Second
	}
	if o.Window <= 0 {
		o.Window = 5 * time.Second
	}
	if o.Ping <= 0 {
		o.Ping = 30 * time.Second
	}
	if o.Max <= 0 {
		o.Max = time.Hour
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Feed{src: src, allow: allow, o: o, subs: map[chan Event]struct{}{}}
}

// subscribe registers a listener and starts the poller if it was idle.
func (f *Feed) subscribe() (<-chan Event, func()) {
	ch := make(chan Event, 64)
	f.mu.Lock()
	f.subs[ch] = struct{}{}
	if !f.running {
		f.running = true
		go f.poll()
	}
	f.mu.Unlock()
	return ch, func() {
		f.mu.Lock()
		delete(f.subs, ch)
		f.mu.Unlock()
	}
}

// poll reads the store every tick while anyone listens and sends each
// build whose fingerprint differs from the last read's.
func (f *Feed) poll() {
	seen := map[int64]int64{}
	tick := time.NewTicker(f.o.Every)
	defer tick.Stop()
	for {
		f.mu.Lock()
		if len(f.subs) == 0 {
			f.running = false
			f.mu.Unlock()
			return
		}
		f.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), f.o.Every*5)
		evs, err := f.src(ctx, f.o.Now().Add(-f.o.Window).Unix())
		cancel()
		if err != nil {
			f.o.Log.Warn("event stream: reading changes failed", slog.String("error", err.Error()))
		} else {
			next := make(map[int64]int64, len(evs))
			for _, ev := range evs {
				next[ev.Build] = ev.Print
				if p, ok := seen[ev.Build]; !ok || p != ev.Print {
					f.send(ev)
				}
			}
			seen = next
		}
		<-tick.C
	}
}

// send gives ev to every listener without waiting: one whose buffer is
// full misses it, and its page refreshes on the next event or poll.
func (f *Feed) send(ev Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for ch := range f.subs {
		select {
		case ch <- ev:
		default:
		}
	}
}

// ServeHTTP streams events the caller may see until the client leaves or
// Max passes.
func (f *Feed) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	ctx, cancel := context.WithTimeout(r.Context(), f.o.Max)
	defer cancel()
	extend := func() { rc.SetWriteDeadline(time.Now().Add(2 * f.o.Ping)) } // past the server's WriteTimeout
	extend()
	w.WriteHeader(http.StatusOK)
	ch, unsubscribe := f.subscribe()
	defer unsubscribe()
	if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil || rc.Flush() != nil {
		return
	}
	ping := time.NewTicker(f.o.Ping)
	defer ping.Stop()
	for {
		var err error
		select {
		case <-ctx.Done():
			return
		case <-ping.C:
			extend()
			_, err = fmt.Fprint(w, ": ping\n\n")
		case ev := <-ch:
			if !f.allow(r, ev.Repo) {
				continue
			}
			_, err = fmt.Fprintf(w, "data: %s\n\n", ev.Data)
		}
		if err != nil || rc.Flush() != nil {
			return
		}
	}
}
