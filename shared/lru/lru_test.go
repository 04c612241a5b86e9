package lru

import (
	"fmt"
	"sync"
	"testing"
)

func TestBytesBound(t *testing.T) {
	t.Parallel()
	c := New[string, int](0, 100)
	for i := range 5 {
		c.Add(fmt.Sprint(i), i, 30) // 150 bytes offered, 90 kept
	}
	for i, want := range []bool{false, false, true, true, true} {
		if _, got := c.Get(fmt.Sprint(i)); got != want {
			t.Errorf("Get(%d) present = %v, want %v", i, got, want)
		}
	}
	if got := c.Bytes(); got != 90 {
		t.Errorf("Bytes = %d, want 90", got)
	}
	c.Get("2") // now most recent; 3 is the oldest
	c.Add("5", 5, 30)
	if _, ok := c.Get("3"); ok {
		t.Error("3 survived, want it evicted as least recently used")
	}
	if _, ok := c.Get("2"); !ok {
		t.Error("2 evicted, want it kept (recently used)")
	}
	c.Add("big", 0, 101)
	if _, ok := c.Get("big"); ok {
		t.Error("a value larger than the cache was kept")
	}
	c.Add("2", 22, 50) // replacing resizes: 2(50)+4(30)+5(30) = 110 > 100 evicts 4
	if v, _ := c.Get("2"); v != 22 || c.Bytes() != 80 || c.Len() != 2 {
		t.Errorf("after replacing: value %d, %d bytes, %d entries; want 22, 80, 2", v, c.Bytes(), c.Len())
	}
	c.Remove("2")
	if _, ok := c.Get("2"); ok || c.Bytes() != 30 {
		t.Errorf("after Remove: present %v, %d bytes; want absent, 30", ok, c.Bytes())
	}
}

func TestItemsBound(t *testing.T) {
	t.Parallel()
	type key struct {
		sum     [4]byte
		trusted bool
	}
	c := New[key, string](2, 0)
	c.Add(key{[4]byte{1}, false}, "a", 1000)
	c.Add(key{[4]byte{1}, true}, "b", 1000)
	c.Add(key{[4]byte{2}, false}, "c", 1000)
	if _, ok := c.Get(key{[4]byte{1}, false}); ok || c.Len() != 2 {
		t.Errorf("oldest kept or Len = %d; want it evicted and 2 entries", c.Len())
	}
}

func TestNilKeepsNothing(t *testing.T) {
	t.Parallel()
	c := New[string, int](0, 0)
	if c != nil {
		t.Fatal("New(0, 0) != nil")
	}
	c.Add("x", 1, 1)
	c.Remove("x")
	if _, ok := c.Get("x"); ok || c.Len() != 0 || c.Bytes() != 0 {
		t.Error("a nil cache kept something")
	}
}

func TestConcurrent(t *testing.T) {
	t.Parallel()
	c := New[int, int](64, 1<<10)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				c.Add(g*1000+i, i, 8)
				c.Get(g*1000 + i/2)
			}
		})
	}
	wg.Wait()
	if c.Len() > 64 || c.Bytes() > 1<<10 {
		t.Errorf("bounds passed: %d entries, %d bytes", c.Len(), c.Bytes())
	}
}
