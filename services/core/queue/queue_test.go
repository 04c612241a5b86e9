package queue

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hangar-ci/hangar/services/core/events"
	"github.com/hangar-ci/hangar/services/core/model"
)

// memStore is the queue's store in memory, counting reads.
type memStore struct {
	mu      sync.Mutex
	stages  []*model.Stage
	reads   atomic.Int64
	runners map[string]string
	seen    map[string]int64
	paused  atomic.Bool
}

func (m *memStore) QueuePaused(context.Context) (bool, error) { return m.paused.Load(), nil }

func (m *memStore) SetQueuePaused(_ context.Context, paused bool) error {
	m.paused.Store(paused)
	return nil
}

func (m *memStore) SeeRunner(_ context.Context, key, filter string, now int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.runners == nil {
		m.runners, m.seen = map[string]string{}, map[string]int64{}
	}
	m.runners[key], m.seen[key] = filter, now
	return nil
}

func (m *memStore) ListRunners(_ context.Context, since int64) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for k, f := range m.runners {
		if m.seen[k] >= since {
			out = append(out, f)
		}
	}
	return out, nil
}

func (m *memStore) ListQueue(context.Context) ([]*model.Stage, error) {
	m.reads.Add(1)
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*model.Stage
	for _, s := range m.stages {
		c := *s
		out = append(out, &c)
	}
	return out, nil
}

func (m *memStore) OfferStage(_ context.Context, id, now, expired int64) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range m.stages {
		if s.ID == id && s.Offered <= expired {
			s.Offered = now
			return true, nil
		}
	}
	return false, nil
}

// TestRequestManyParked parks 50 polls, then schedules 3 stages: each goes
// to exactly one poll whose filter matches, and the queue is read a
// handful of times, not once per parked poll.
func TestRequestManyParked(t *testing.T) {
	t.Parallel()
	st := &memStore{}
	q := New(st, events.NewLocal(), nil)
	exec := Filter{Kind: "pipeline", Type: "exec", OS: "linux", Arch: "amd64"}
	gpu := exec
	gpu.Labels = map[string]string{"pool": "gpu"}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	got := make(chan *model.Stage, 100)
	var wg sync.WaitGroup
	for i := range 50 {
		f := exec
		if i == 49 {
			f = gpu
		}
		wg.Go(func() {
			if s, err := q.Request(ctx, f); err == nil {
				got <- s
			}
		})
	}
	for deadline := time.Now().Add(time.Second); ; time.Sleep(5 * time.Millisecond) {
		q.mu.Lock()
		n := len(q.waiting)
		q.mu.Unlock()
		if n == 50 || time.Now().After(deadline) {
			break
		}
	}
	before := st.reads.Load()
	st.mu.Lock()
	for i := range 3 {
		s := &model.Stage{ID: int64(i + 1), RepoID: 1, Name: "a", Kind: "pipeline", Type: "exec", OS: "linux", Arch: "amd64", Status: model.StatusPending}
		if i == 2 {
			s.Labels = map[string]string{"pool": "gpu"}
		}
		st.stages = append(st.stages, s)
	}
	st.mu.Unlock()
	q.Schedule(context.Background(), nil)
	seen := map[int64]bool{}
	for range 3 {
		select {
		case s := <-got:
			if seen[s.ID] {
				t.Errorf("stage %d handed out twice", s.ID)
			}
			seen[s.ID] = true
		case <-time.After(time.Second):
			t.Fatalf("got %d stages, want 3", len(seen))
		}
	}
	if reads := st.reads.Load() - before; reads > 10 {
		t.Errorf("one wake-up of 50 parked polls read the queue %d times, want a handful", reads)
	}
	cancel()
	wg.Wait()
	if len(got) != 0 {
		t.Errorf("more stages handed out than scheduled: %d extra", len(got))
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.waiting) != 0 {
		t.Errorf("%d polls left in line after they ended", len(q.waiting))
	}
}
