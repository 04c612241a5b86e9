package validate

import (
	"container/list"
	"crypto/sha256"
	"sync"
)

// parseCache memoizes analyses by content. Hangar's config service hands
// the same central file to many repositories and Drone validates every
// push, so most requests repeat a YAML text already parsed and linted;
// only the policy, which depends on the build, runs again. Bounded by
// entries and by the total size of the texts they stand for.
type parseCache struct {
	mu       sync.Mutex
	entries  map[cacheKey]*list.Element
	order    *list.List // front = most recently used
	bytes    int
	maxBytes int
	maxItems int
}

type cacheKey struct {
	sum     [sha256.Size]byte
	trusted bool
}

type cacheEntry struct {
	key  cacheKey
	a    *analysis
	size int
}

func newParseCache(maxItems, maxBytes int) *parseCache {
	return &parseCache{entries: make(map[cacheKey]*list.Element), order: list.New(), maxItems: maxItems, maxBytes: maxBytes}
}

// analyze returns the cached analysis of data or makes and keeps one.
// hit reports whether it came from the cache.
func (c *parseCache) analyze(data string, trusted bool, o CheckOptions) (a *analysis, hit bool) {
	key := cacheKey{sum: sha256.Sum256([]byte(data)), trusted: trusted}
	c.mu.Lock()
	if el, ok := c.entries[key]; ok {
		c.order.MoveToFront(el)
		c.mu.Unlock()
		return el.Value.(*cacheEntry).a, true
	}
	c.mu.Unlock()
	// Analysed outside the lock: two identical concurrent requests both
	// work, which is cheaper than making every other request wait.
	a = analyze(data, trusted, o)
	if len(data) > c.maxBytes {
		return a, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[key]; !ok {
		c.entries[key] = c.order.PushFront(&cacheEntry{key: key, a: a, size: len(data)})
		c.bytes += len(data)
	}
	for c.order.Len() > c.maxItems || c.bytes > c.maxBytes {
		last := c.order.Back()
		e := last.Value.(*cacheEntry)
		c.order.Remove(last)
		delete(c.entries, e.key)
		c.bytes -= e.size
	}
	return a, false
}
