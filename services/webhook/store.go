package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Delivery states.
const (
	StatePending   = "pending"
	StateDelivered = "delivered"
	StateDead      = "dead"
)

// Delivery is one event on its way to one sink.
type Delivery struct {
	ID         int64     `json:"id"`
	EventID    int64     `json:"event_id"`
	Sink       string    `json:"sink"`
	State      string    `json:"state"`
	Attempts   int       `json:"attempts"`
	NextAt     time.Time `json:"next_at"`
	LastStatus int       `json:"last_status,omitempty"`
	LastError  string    `json:"last_error,omitempty"`
	Updated    time.Time `json:"updated"`
	// Event is filled where the caller needs it (due deliveries, dead
	// letters).
	Event *Event `json:"event,omitempty"`
}

// outcome is the result of one delivery attempt, as recorded.
type outcome struct {
	State    string
	Attempts int
	NextAt   time.Time
	Status   int
	Err      string
	Now      time.Time
}

// Errors a store returns for the API to map.
var (
	errNotFound = errors.New("not found")
	errPending  = errors.New("delivery is still pending")
	errNoSink   = errors.New("delivery's sink is not configured")
)

// store is everything the service keeps. One implementation serves SQLite
// and PostgreSQL through the same SQL.
type store interface {
	// Insert stores events, each with a pending delivery to every sink in
	// the matching routes entry, in one transaction. An event whose key is
	// already stored is skipped with its deliveries; its id is 0 in the
	// result.
	Insert(ctx context.Context, events []Event, routes [][]string) ([]int64, error)
	// Due returns up to limit of the sink's deliveries that may be
	// attempted now: pending, due, not leased, and the oldest pending
	// delivery of their group, each with its event.
	Due(ctx context.Context, sink string, now time.Time, limit int) ([]Delivery, error)
	// NextDue returns when the sink's next waiting delivery becomes due.
	NextDue(ctx context.Context, sink string) (time.Time, bool, error)
	// Claim leases a delivery until the given time; false when another
	// worker holds it or it is no longer pending.
	Claim(ctx context.Context, id int64, now, until time.Time) (bool, error)
	// Release drops a lease without counting an attempt.
	Release(ctx context.Context, id int64) error
	// Record stores an attempt's outcome and drops the lease.
	Record(ctx context.Context, id int64, o outcome) error
	// ReleaseAll drops every lease; only for a store one process owns.
	ReleaseAll(ctx context.Context) error
	// Events lists stored events newest first, below id before (0: from
	// the newest), with their deliveries.
	Events(ctx context.Context, before int64, limit int) ([]EventDeliveries, error)
	// Event returns one event with its body and deliveries: errNotFound.
	Event(ctx context.Context, id int64) (EventDeliveries, error)
	// DeadLetters lists dead deliveries newest first, below id before.
	DeadLetters(ctx context.Context, before int64, limit int) ([]Delivery, error)
	// Redeliver makes a dead or delivered delivery pending again with a
	// fresh attempt budget, if sinkOK accepts its sink: errNotFound,
	// errPending, errNoSink.
	Redeliver(ctx context.Context, id int64, now time.Time, sinkOK func(string) bool) (Delivery, error)
	// Prune deletes up to limit events received before cutoff whose
	// every delivery was made, and returns how many went.
	Prune(ctx context.Context, cutoff time.Time, limit int) (int64, error)
	// Backlog counts deliveries not yet made, by state (pending, dead).
	Backlog(ctx context.Context) (map[string]int64, error)
	// Ping checks the database.
	Ping(ctx context.Context) error
}

// EventDeliveries is an event with where it went.
type EventDeliveries struct {
	Event
	// Payload is the stored body, only when one event is asked for.
	Payload    json.RawMessage `json:"payload,omitempty"`
	Deliveries []Delivery      `json:"deliveries"`
}
