package validate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sync/semaphore"
)

// parseCost is the memory one byte of YAML costs while it is parsed,
// decoded and linted: measured at 120–135 bytes per byte of text, for a
// 990 KB flow sequence of 495,000 items as for ordinary pipelines.
const parseCost = 128

// errBusy is a parse that found no room in the parse memory in time.
var errBusy = errors.New("the validator's parse memory is in use by other requests")

// tooLargeError is a text whose parse alone would need more than the
// whole parse memory.
type tooLargeError struct{ n, cost, size int64 }

func (e *tooLargeError) Error() string {
	return fmt.Sprintf("a pipeline file of %d bytes needs about %d MiB to parse, more than the validator's parse memory (%d MiB, HANGAR_VALIDATE_PARSE_MEMORY)", e.n, e.cost>>20, e.size>>20)
}

// parseBudget bounds the memory of the parses running at once: each takes
// its text's cost (parseCost × length) and waits up to wait for it; a
// text whose cost is over the whole budget is refused, so the size limit
// on a pipeline file follows from memory, not from a count. A burst queues
// instead of growing the heap eightfold, and what cannot wait is answered
// 503 with Retry-After. A nil budget admits everything.
type parseBudget struct {
	sem  *semaphore.Weighted
	size int64
	wait time.Duration
}

func newParseBudget(size int64, wait time.Duration) *parseBudget {
	if size <= 0 {
		return nil
	}
	return &parseBudget{sem: semaphore.NewWeighted(size), size: size, wait: wait}
}

// acquire reserves the cost of parsing n bytes; release gives it back.
func (b *parseBudget) acquire(ctx context.Context, n int) (release func(), err error) {
	if b == nil {
		return func() {}, nil
	}
	cost := int64(n) * parseCost
	if cost > b.size {
		return nil, &tooLargeError{int64(n), cost, b.size}
	}
	ctx, cancel := context.WithTimeout(ctx, b.wait)
	defer cancel()
	if err := b.sem.Acquire(ctx, cost); err != nil {
		return nil, errBusy
	}
	return func() { b.sem.Release(cost) }, nil
}
