// Package events wakes whoever waits on a change: runners parked on the
// queue, watches parked on a build, log streams parked on a step. A wake-up
// carries no data, only a topic: the waiter re-reads the database, which
// is the only place state lives. The in-process Local bus reaches waiters
// of this process; a PostgreSQL LISTEN/NOTIFY bus can implement Bus to
// reach every replica without changing the waiters.
package events

import (
	"context"
	"strconv"
	"sync"
)

// Bus publishes and subscribes to topics.
type Bus interface {
	// Publish wakes every current subscriber of topic.
	Publish(ctx context.Context, topic string) error
	// Subscribe returns a channel that receives a value after each
	// Publish of topic (several publishes may merge into one wake-up),
	// and the function that ends the subscription.
	Subscribe(topic string) (<-chan struct{}, func())
}

// Topics.
const Queue = "queue"

// Build is the topic of a build's status (cancel, completion).
func Build(id int64) string { return "build:" + strconv.FormatInt(id, 10) }

// Step is the topic of a step's log and status.
func Step(id int64) string { return "step:" + strconv.FormatInt(id, 10) }

// Local is the in-process Bus: a map of waiters per topic.
type Local struct {
	mu   sync.Mutex
	subs map[string]map[chan struct{}]struct{}
}

// NewLocal returns an empty in-process bus.
func NewLocal() *Local { return &Local{subs: map[string]map[chan struct{}]struct{}{}} }

// Publish wakes the topic's subscribers without ever blocking: a
// subscriber with a wake-up already pending keeps just that one.
func (l *Local) Publish(_ context.Context, topic string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for ch := range l.subs[topic] {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	return nil
}

// Subscribe registers a waiter on topic.
func (l *Local) Subscribe(topic string) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	l.mu.Lock()
	if l.subs[topic] == nil {
		l.subs[topic] = map[chan struct{}]struct{}{}
	}
	l.subs[topic][ch] = struct{}{}
	l.mu.Unlock()
	return ch, func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		delete(l.subs[topic], ch)
		if len(l.subs[topic]) == 0 {
			delete(l.subs, topic)
		}
	}
}

// Wake wakes every current subscriber of every topic, as if each topic
// had been published: after a wake-up may have been missed, every waiter
// re-reads the database.
func (l *Local) Wake() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, subs := range l.subs {
		for ch := range subs {
			select {
			case ch <- struct{}{}:
			default:
			}
		}
	}
}
