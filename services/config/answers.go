package config

import (
	"crypto/sha256"
	"time"

	"github.com/hangar-ci/hangar/shared/lru"
	"github.com/hangar-ci/hangar/shared/tree"
)

// answerTTL bounds how long a remembered answer is served. Drone's
// identical resends come within a second or two of each other; a remote
// config repository's own cache TTL still governs freshness beyond that.
const answerTTL = 5 * time.Second

// answers remembers recent answers by the verified body's digest and the
// tree's generation. Drone sends byte-identical config requests for every
// stage of a build, so all but the first are answered without decoding,
// which is most of a lookup's cost. A change of the tree moves its
// generation and so never serves an old answer; a tree that cannot report
// its generation gets no cache at all.
type answers struct {
	cache *lru.Cache[answerKey, *answer]
	gen   tree.Generational
	now   func() time.Time
}

type answerKey struct {
	sum [sha256.Size]byte
	gen uint64
}

// answer is a finished response: status, body and what the log line says.
type answer struct {
	status int
	body   []byte
	slug   string
	branch string
	event  string
	found  Found
	at     time.Time
}

func newAnswers(t tree.Tree, maxEntries int) *answers {
	g, ok := t.(tree.Generational)
	if !ok || maxEntries <= 0 {
		return &answers{}
	}
	return &answers{cache: lru.New[answerKey, *answer](maxEntries, 0), gen: g, now: time.Now}
}

func (a *answers) key(sum [sha256.Size]byte) (answerKey, bool) {
	if a.cache == nil {
		return answerKey{}, false
	}
	return answerKey{sum, a.gen.Generation()}, true
}

func (a *answers) get(k answerKey) (*answer, bool) {
	ans, ok := a.cache.Get(k)
	if !ok || a.now().Sub(ans.at) > answerTTL {
		return nil, false
	}
	return ans, true
}

func (a *answers) put(k answerKey, ans *answer) {
	ans.at = a.now()
	a.cache.Add(k, ans, 0)
}
