package validate

import (
	"context"
	"crypto/sha256"

	"github.com/hangar-ci/hangar/shared/lru"
)

// parseCache memoizes analyses by content. Hangar's config service hands
// the same central file to many repositories and Drone validates every
// push, so most requests repeat a YAML text already parsed and linted;
// only the policy, which depends on the build, runs again. Bounded by
// entries and by the total size of the texts they stand for.
type parseCache struct {
	entries *lru.Cache[cacheKey, *analysis]
	budget  *parseBudget // taken by misses only
}

type cacheKey struct {
	sum     [sha256.Size]byte
	trusted bool
}

func newParseCache(maxItems int, maxBytes int64, budget *parseBudget) *parseCache {
	return &parseCache{entries: lru.New[cacheKey, *analysis](maxItems, maxBytes), budget: budget}
}

// analyze returns the cached analysis of data or makes and keeps one.
// hit reports whether it came from the cache.
func (c *parseCache) analyze(ctx context.Context, data string, trusted bool, o CheckOptions) (a *analysis, hit bool, err error) {
	key := cacheKey{sum: sha256.Sum256([]byte(data)), trusted: trusted}
	if a, ok := c.entries.Get(key); ok {
		return a, true, nil
	}
	release, err := c.budget.acquire(ctx, len(data))
	if err != nil {
		return nil, false, err
	}
	defer release()
	// Analysed outside any lock: two identical concurrent requests both
	// work, which is cheaper than making every other request wait.
	a = analyze(data, trusted, o)
	c.entries.Add(key, a, int64(len(data)))
	return a, false, nil
}
