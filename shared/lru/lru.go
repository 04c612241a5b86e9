// Package lru is Hangar's one least-recently-used cache: bounded by the
// number of entries, by the total size the caller assigns them, or both,
// and safe for concurrent use. A nil *Cache keeps nothing, so "no cache" is
// a valid configuration rather than a branch at every call site.
package lru

import (
	"container/list"
	"sync"
)

// Cache maps keys to values, evicting the least recently used entry when a
// bound is passed.
type Cache[K comparable, V any] struct {
	mu       sync.Mutex
	maxItems int   // 0 = unbounded
	maxBytes int64 // 0 = unbounded
	bytes    int64
	order    *list.List // front = most recently used
	items    map[K]*list.Element
}

type item[K comparable, V any] struct {
	key  K
	val  V
	size int64
}

// New returns a cache holding at most maxItems entries and maxBytes of
// total size (each 0 for no bound on it). With both 0 it returns nil: a
// cache that keeps nothing.
func New[K comparable, V any](maxItems int, maxBytes int64) *Cache[K, V] {
	if maxItems <= 0 && maxBytes <= 0 {
		return nil
	}
	return &Cache[K, V]{maxItems: max(maxItems, 0), maxBytes: max(maxBytes, 0), order: list.New(), items: map[K]*list.Element{}}
}

// Get returns the value for key and marks it recently used.
func (c *Cache[K, V]) Get(key K) (V, bool) {
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
	return e.Value.(*item[K, V]).val, true
}

// Add stores val under key with the given size, replacing any value there,
// and evicts the least recently used entries past a bound. A value larger
// than the whole byte bound is not kept.
func (c *Cache[K, V]) Add(key K, val V, size int64) {
	if c == nil || (c.maxBytes > 0 && size > c.maxBytes) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		it := e.Value.(*item[K, V])
		c.bytes += size - it.size
		it.val, it.size = val, size
		c.order.MoveToFront(e)
	} else {
		c.items[key] = c.order.PushFront(&item[K, V]{key, val, size})
		c.bytes += size
	}
	for (c.maxBytes > 0 && c.bytes > c.maxBytes) || (c.maxItems > 0 && c.order.Len() > c.maxItems) {
		c.removeElement(c.order.Back())
	}
}

// Remove drops key.
func (c *Cache[K, V]) Remove(key K) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		c.removeElement(e)
	}
}

func (c *Cache[K, V]) removeElement(e *list.Element) {
	it := e.Value.(*item[K, V])
	c.order.Remove(e)
	delete(c.items, it.key)
	c.bytes -= it.size
}

// Len returns the number of entries.
func (c *Cache[K, V]) Len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

// Bytes returns the total size of the entries.
func (c *Cache[K, V]) Bytes() int64 {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes
}
