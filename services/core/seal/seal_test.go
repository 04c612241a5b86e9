package seal

import (
	"errors"
	"strings"
	"testing"
)

func TestSealOpen(t *testing.T) {
	t.Parallel()
	s, err := New("0123456789abcdef0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := s.Seal("hunter2")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "hunter2") {
		t.Errorf("sealed value %q holds the plain text", sealed)
	}
	again, _ := s.Seal("hunter2")
	if again == sealed {
		t.Error("two seals of one value are equal: the nonce is not fresh")
	}
	if got, err := s.Open(sealed); err != nil || got != "hunter2" {
		t.Errorf("got %q, %v, want hunter2", got, err)
	}
	other, _ := New("ffffffffffffffffffffffffffffffff")
	if _, err := other.Open(sealed); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("other key: got %v, want an error without the value", err)
	}
	none, _ := New("")
	if _, err := none.Seal("x"); !errors.Is(err, ErrNoKey) {
		t.Errorf("no key: got %v, want ErrNoKey", err)
	}
	if _, err := New("short"); err == nil {
		t.Error("a short key was accepted")
	}
}
