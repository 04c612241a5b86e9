package convert

import (
	"context"
	"crypto/sha256"

	"github.com/hangar-ci/hangar/shared/lru"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// moduleCache keeps what does not depend on a build: compiled Starlark
// programs, keyed by file name and content, and files of built
// repositories read at a commit (which never changes). A nil cache keeps
// nothing.
type moduleCache struct {
	progs *lru.Cache[string, *starlark.Program]
	files *lru.Cache[string, []byte]
}

func newModuleCache(size int64) *moduleCache {
	if size <= 0 {
		return nil
	}
	return &moduleCache{progs: lru.New[string, *starlark.Program](0, size/2), files: lru.New[string, []byte](0, size/2)}
}

// fileOptions are Drone's Starlark dialect plus while loops, sets and
// top-level statements. Recursion stays off: with a raised step limit a
// deep recursion would overflow the Go stack, which no recover can catch.
var fileOptions = &syntax.FileOptions{Set: true, While: true, TopLevelControl: true, GlobalReassign: true}

// compile parses and compiles a Starlark file.
func (c *moduleCache) compile(name string, src []byte, isPredeclared func(string) bool) (*starlark.Program, error) {
	var key string
	if c != nil {
		h := sha256.New()
		h.Write([]byte(name))
		h.Write([]byte{0})
		h.Write(src)
		key = string(h.Sum(nil))
		if p, ok := c.progs.Get(key); ok {
			return p, nil
		}
	}
	f, err := fileOptions.Parse(name, src, 0)
	if err != nil {
		return nil, err
	}
	guardFile(f)
	p, err := starlark.FileProgram(f, isPredeclared)
	if err != nil {
		return nil, err
	}
	if c != nil {
		// A compiled program takes a few times its source in memory.
		c.progs.Add(key, p, int64(len(src))*4+512)
	}
	return p, nil
}

// repoFile reads a file of a built repository, from the cache when the
// ref is a commit.
func (c *moduleCache) repoFile(ctx context.Context, rf RepoFiles, slug, ref, p string) ([]byte, error) {
	if c == nil || !isCommit(ref) {
		return rf.ReadFile(ctx, slug, ref, p)
	}
	key := slug + "\x00" + ref + "\x00" + p
	if b, ok := c.files.Get(key); ok {
		return b, nil
	}
	b, err := rf.ReadFile(ctx, slug, ref, p)
	if err != nil {
		return nil, err
	}
	c.files.Add(key, b, int64(len(key)+len(b)))
	return b, nil
}
