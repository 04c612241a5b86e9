package events

import (
	"context"
	"testing"
	"time"
)

func TestLocal(t *testing.T) {
	t.Parallel()
	b := NewLocal()
	ctx := context.Background()
	a, stopA := b.Subscribe(Queue)
	c, stopC := b.Subscribe(Build(7))
	defer stopC()
	// Three publishes before anyone reads merge into one wake-up.
	for range 3 {
		b.Publish(ctx, Queue)
	}
	select {
	case <-a:
	case <-time.After(time.Second):
		t.Fatal("queue subscriber not woken")
	}
	select {
	case <-a:
		t.Fatal("got a second wake-up, want the publishes merged")
	default:
	}
	select {
	case <-c:
		t.Fatal("build subscriber woken by another topic")
	default:
	}
	stopA()
	b.Publish(ctx, Queue) // nobody left: must not block
	if got := len(b.subs); got != 1 {
		t.Errorf("topics with subscribers: got %d, want 1", got)
	}
}
