package convert

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"hash/maphash"
	"maps"
	"slices"

	"github.com/hangar-ci/hangar/shared/lru"
	"github.com/hangar-ci/hangar/shared/tree"
)

// cached is a conversion result and the files it read.
type cached struct {
	yaml string
	// body is the encoded answer, so a hit writes bytes without encoding.
	body []byte
	deps []dep
	// gen is the config repository's generation when the result was made;
	// while it is unchanged the library files cannot have changed.
	gen    uint64
	hasGen bool
}

// resultCache keeps conversion results by the hash of everything the
// script could see: the script, its name, every ctx field and the limits.
// The files it loaded are checked on each hit: by the config repository's
// generation when it has one, else by content; files of the built
// repository count only when read at a commit, which never changes.
type resultCache struct {
	entries *lru.Cache[string, *cached]
}

func (c *resultCache) get(ctx context.Context, key string, config tree.Tree) (*cached, bool) {
	e, ok := c.entries.Get(key)
	if !ok {
		return nil, false
	}
	if g, ok := config.(tree.Generational); ok && e.hasGen && g.Generation() == e.gen {
		return e, true
	}
	for _, d := range e.deps {
		if d.ref.root == rootRepo {
			continue
		}
		p := d.ref.path
		if d.ref.root == rootLib {
			p = LibDir + "/" + p
		}
		b, err := config.ReadFile(ctx, p)
		if err != nil || sha256.Sum256(b) != d.sum {
			c.entries.Remove(key)
			return nil, false
		}
	}
	return e, true
}

func (c *resultCache) put(key string, r result, body []byte, gen uint64, hasGen bool) {
	if !r.cacheable {
		return
	}
	size := int64(len(key) + len(r.yaml) + len(body) + 128)
	for _, d := range r.deps {
		size += int64(len(d.ref.path) + 48)
	}
	c.entries.Add(key, &cached{yaml: r.yaml, body: body, deps: r.deps, gen: gen, hasGen: hasGen}, size)
}

// generation reads the config repository's generation before a
// conversion, so a change during it makes the entry be checked by content.
func generation(t tree.Tree) (uint64, bool) {
	if g, ok := t.(tree.Generational); ok {
		return g.Generation(), true
	}
	return 0, false
}

// keySeeds make the cache key unpredictable: two independent 64-bit
// maphash sums per process, so no script can be crafted to collide with
// another build's entry, at several times the speed of SHA-256 on the
// hit path (the script is hashed on every call).
var keySeeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}

// cacheKey hashes everything a rendering depends on besides loaded files.
func cacheKey(in Input) string {
	var h [2]maphash.Hash
	for i := range h {
		h[i].SetSeed(keySeeds[i])
	}
	var scratch []byte
	write := func(b []byte) {
		for i := range h {
			h[i].Write(b)
		}
	}
	str := func(s string) {
		scratch = binary.AppendUvarint(scratch[:0], uint64(len(s)))
		write(scratch)
		for i := range h {
			h[i].WriteString(s)
		}
	}
	str(in.Kind)
	str(in.Name)
	if in.Central {
		str("central")
	}
	scratch = binary.AppendUvarint(scratch[:0], uint64(len(in.Script)))
	write(scratch)
	write(in.Script)
	for _, fs := range [][]field{buildFields(in.Build), repoFields(in.Repo)} {
		for _, f := range fs {
			if f.bool {
				str(boolCode(f.flag))
			} else {
				str(f.str)
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(in.Build.Params)) {
		str(k)
		str(in.Build.Params[k])
	}
	if len(in.Params) > 0 {
		b, _ := json.Marshal(in.Params) // map keys are sorted
		str(string(b))
	}
	l := in.Limits.withDefaults()
	var lim bytes.Buffer
	for _, n := range []uint64{l.Steps, uint64(l.Size), uint64(l.Timeout), uint64(l.Modules), uint64(l.ModuleBytes)} {
		lim.Write(binary.AppendUvarint(nil, n))
	}
	write(lim.Bytes())
	if in.RepoFiles != nil {
		if _, ok := in.RepoFiles.(denied); !ok {
			str("repo-loads")
		}
	}
	var key [16]byte
	binary.LittleEndian.PutUint64(key[:8], h[0].Sum64())
	binary.LittleEndian.PutUint64(key[8:], h[1].Sum64())
	return string(key[:])
}

// seenBody remembers which result a request body maps to.
type seenBody struct {
	key, repo, file string
}

// rawKey hashes a request body as received.
func rawKey(body []byte) string {
	var h [2]maphash.Hash
	var key [16]byte
	for i := range h {
		h[i].SetSeed(keySeeds[i])
		h[i].Write(body)
	}
	binary.LittleEndian.PutUint64(key[:8], h[0].Sum64())
	binary.LittleEndian.PutUint64(key[8:], h[1].Sum64())
	return string(key[:])
}
