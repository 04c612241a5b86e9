package convert

import (
	"container/list"
	"sync"
)

// lru is a cache bounded by the total size of its values, evicting the
// least recently used. A nil *lru keeps nothing.
type lru[V any] struct {
	mu    sync.Mutex
	max   int64
	size  int64
	order *list.List // front is the most recent
	items map[string]*list.Element
}

type lruItem[V any] struct {
	key  string
	val  V
	size int64
}

func newLRU[V any](max int64) *lru[V] {
	if max <= 0 {
		return nil
	}
	return &lru[V]{max: max, order: list.New(), items: map[string]*list.Element{}}
}

func (c *lru[V]) get(key string) (V, bool) {
	var zero V
	if c == nil {
		return zero, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[key]
	if !ok {
		return zero, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*lruItem[V]).val, true
}

// add stores val; a value larger than the whole cache is not kept.
func (c *lru[V]) add(key string, val V, size int64) {
	if c == nil || size > c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		it := e.Value.(*lruItem[V])
		c.size += size - it.size
		it.val, it.size = val, size
		c.order.MoveToFront(e)
	} else {
		c.items[key] = c.order.PushFront(&lruItem[V]{key, val, size})
		c.size += size
	}
	for c.size > c.max {
		e := c.order.Back()
		it := e.Value.(*lruItem[V])
		c.order.Remove(e)
		delete(c.items, it.key)
		c.size -= it.size
	}
}

func (c *lru[V]) remove(key string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		c.order.Remove(e)
		delete(c.items, key)
		c.size -= e.Value.(*lruItem[V]).size
	}
}

// bytes reports the total size held.
func (c *lru[V]) bytes() int64 {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.size
}
