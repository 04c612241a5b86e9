package convert

import (
	"fmt"
	"testing"
)

func TestLRU(t *testing.T) {
	t.Parallel()
	c := newLRU[int](100)
	for i := range 5 {
		c.add(fmt.Sprint(i), i, 30) // 150 bytes offered, 100 kept
	}
	// In order, so that recency after the loop is 2, 3, 4 (4 newest).
	for i, want := range []bool{false, false, true, true, true} {
		if _, got := c.get(fmt.Sprint(i)); got != want {
			t.Errorf("get(%d): got present=%v, want %v", i, got, want)
		}
	}
	if got := c.bytes(); got != 90 {
		t.Errorf("got %d bytes held, want 90", got)
	}
	c.get("2") // most recent now; 3 is the oldest
	c.add("5", 5, 30)
	if _, ok := c.get("3"); ok {
		t.Errorf("got 3 kept, want it evicted as least recently used")
	}
	if _, ok := c.get("2"); !ok {
		t.Errorf("got 2 evicted, want it kept (used recently)")
	}
	c.add("big", 0, 101)
	if _, ok := c.get("big"); ok {
		t.Errorf("got a value larger than the cache kept")
	}
	c.add("2", 22, 50) // replacing resizes
	if v, _ := c.get("2"); v != 22 || c.bytes() != 110-30 {
		t.Errorf("after replacing: got %d and %d bytes, want 22 and 80", v, c.bytes())
	}
	var none *lru[int]
	none.add("x", 1, 1)
	if _, ok := none.get("x"); ok || none.bytes() != 0 {
		t.Errorf("a nil cache kept something")
	}
}
