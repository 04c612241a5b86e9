// Package logs keeps step logs: the live lines runners send in batches
// (stored by position, so any replica can serve them), the complete log
// runners upload when a step ends, and the tail that replays a step's
// lines from position 0 and then follows new ones.
package logs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hangar-ci/hangar/services/core/events"
	"github.com/hangar-ci/hangar/services/core/model"
)

// DefaultLimit bounds a step's stored log, as runners bound theirs.
const DefaultLimit = 5 << 20

// Store is what the logs are kept in.
type Store interface {
	AppendLines(ctx context.Context, stepID int64, lines []*model.Line, limit int64) (int, error)
	ListLines(ctx context.Context, stepID int64, from, limit int) ([]*model.Line, error)
	PutLog(ctx context.Context, stepID int64, data []byte) error
	FindLog(ctx context.Context, stepID int64) ([]byte, error)
	DeleteLog(ctx context.Context, stepID int64) error
	FindStep(ctx context.Context, id int64) (*model.Step, error)
}

// Logs stores and follows step logs.
type Logs struct {
	store Store
	bus   events.Bus
	// Limit is the most bytes of output stored per step: live lines past
	// it are dropped, and an uploaded log over it keeps its newest lines.
	Limit int64
}

// New returns the logs over st, announcing new lines on bus.
func New(st Store, bus events.Bus, limit int64) *Logs {
	if limit <= 0 {
		limit = DefaultLimit
	}
	return &Logs{store: st, bus: bus, Limit: limit}
}

// Append stores a batch of live lines and wakes the step's followers.
func (l *Logs) Append(ctx context.Context, stepID int64, lines []*model.Line) error {
	if len(lines) == 0 {
		return nil
	}
	if _, err := l.store.AppendLines(ctx, stepID, lines, l.Limit); err != nil {
		return err
	}
	return l.bus.Publish(ctx, events.Step(stepID))
}

// Upload stores a step's complete log (a JSON array of lines). A log over
// the limit keeps its newest lines, re-encoded, as runners trim theirs.
func (l *Logs) Upload(ctx context.Context, stepID int64, data []byte) error {
	var lines []*model.Line
	if err := json.Unmarshal(data, &lines); err != nil {
		return fmt.Errorf("%w: the log is not a JSON array of lines: %v", ErrInvalid, err)
	}
	if int64(len(data)) > l.Limit {
		lines = Newest(lines, l.Limit)
		b, err := json.Marshal(lines)
		if err != nil {
			return err
		}
		data = b
	}
	return l.store.PutLog(ctx, stepID, data)
}

// ErrInvalid marks a log that cannot be stored as sent.
var ErrInvalid = errors.New("invalid log")

// Newest returns the newest lines whose output fits in limit bytes.
func Newest(lines []*model.Line, limit int64) []*model.Line {
	var size int64
	for i := len(lines) - 1; i >= 0; i-- {
		size += int64(len(lines[i].Out))
		if size > limit {
			return lines[i+1:]
		}
	}
	return lines
}

// Find returns a step's uploaded log.
func (l *Logs) Find(ctx context.Context, stepID int64) ([]byte, error) {
	return l.store.FindLog(ctx, stepID)
}

// Delete removes a step's uploaded log and live lines.
func (l *Logs) Delete(ctx context.Context, stepID int64) error {
	return l.store.DeleteLog(ctx, stepID)
}

// Recheck is how often a tail reads without a wake-up: only a safety net,
// since a batch on any replica wakes the tail (LISTEN/NOTIFY on
// PostgreSQL).
const Recheck = 5 * time.Second

// page is how many lines one read of the tail takes.
const page = 1000

// Tail calls emit with every live line of the step from position 0, then
// with each new one, until the step is done (nil), ctx ends (its error)
// or emit fails. ping is called when nothing happened for keepalive.
func (l *Logs) Tail(ctx context.Context, stepID int64, keepalive time.Duration, emit func(*model.Line) error, ping func() error) error {
	wake, stop := l.bus.Subscribe(events.Step(stepID))
	defer stop()
	// The step's status is published too: re-reading it after each batch
	// of lines catches the end. Lines written through another replica,
	// which a local bus does not hear, are read every Recheck.
	recheck := time.NewTicker(Recheck)
	defer recheck.Stop()
	lastPing := time.Now()
	next := 0
	for {
		step, err := l.store.FindStep(ctx, stepID)
		if err != nil {
			return err
		}
		for {
			lines, err := l.store.ListLines(ctx, stepID, next, page)
			if err != nil {
				return err
			}
			for _, ln := range lines {
				if err := emit(ln); err != nil {
					return err
				}
				next = ln.Pos + 1
			}
			if len(lines) < page {
				break
			}
		}
		if model.Done(step.Status) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
		case <-recheck.C:
			if time.Since(lastPing) < keepalive {
				continue
			}
			lastPing = time.Now()
			if err := ping(); err != nil {
				return err
			}
		}
	}
}
