package convert

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"hash"
	"maps"
	"slices"

	"github.com/hangar-ci/hangar/shared/tree"
)

// cached is a conversion result and the files it read.
type cached struct {
	yaml string
	deps []dep
	// gen is the config repository's generation when the result was made;
	// while it is unchanged the library files cannot have changed.
	gen    uint64
	hasGen bool
}

// generationer is a tree that counts its changes (tree.Dir).
type generationer interface{ Generation() uint64 }

// resultCache keeps conversion results by the hash of everything the
// script could see: the script, its name, every ctx field and the limits.
// The files it loaded are checked on each hit: by the config repository's
// generation when it has one, else by content; files of the built
// repository count only when read at a commit, which never changes.
type resultCache struct {
	lru *lru[*cached]
}

func (c *resultCache) get(ctx context.Context, key string, config tree.Tree) (string, bool) {
	e, ok := c.lru.get(key)
	if !ok {
		return "", false
	}
	if g, ok := config.(generationer); ok && e.hasGen && g.Generation() == e.gen {
		return e.yaml, true
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
			c.lru.remove(key)
			return "", false
		}
	}
	return e.yaml, true
}

func (c *resultCache) put(key string, r result, gen uint64, hasGen bool) {
	if !r.cacheable {
		return
	}
	size := int64(len(key) + len(r.yaml) + 128)
	for _, d := range r.deps {
		size += int64(len(d.ref.path) + 48)
	}
	c.lru.add(key, &cached{yaml: r.yaml, deps: r.deps, gen: gen, hasGen: hasGen}, size)
}

// generation reads the config repository's generation before a
// conversion, so a change during it makes the entry be checked by content.
func generation(t tree.Tree) (uint64, bool) {
	if g, ok := t.(generationer); ok {
		return g.Generation(), true
	}
	return 0, false
}

// cacheKey hashes everything a rendering depends on besides loaded files.
func cacheKey(in Input) string {
	h := sha256.New()
	str := func(s string) { writeStr(h, s) }
	str(in.Kind)
	str(in.Name)
	if in.Central {
		str("central")
	}
	h.Write(binary.AppendUvarint(nil, uint64(len(in.Script))))
	h.Write(in.Script)
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
	h.Write(lim.Bytes())
	if in.RepoFiles != nil {
		if _, ok := in.RepoFiles.(denied); !ok {
			str("repo-loads")
		}
	}
	return string(h.Sum(nil))
}

func writeStr(h hash.Hash, s string) {
	h.Write(binary.AppendUvarint(nil, uint64(len(s))))
	h.Write([]byte(s))
}
