package envconf

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestReaderReportsEveryProblem(t *testing.T) {
	t.Parallel()
	r := New(Map(map[string]string{
		"A_BOOL": "maybe", "A_INT": "ten", "A_DUR": "5 minutes", "A_SIZE": "lots",
		"GOOD_DUR": "90s", "GOOD_SIZE": "1MiB", "LIST": " a, ,b ", "SECOND": "two",
	}))
	r.Bool(false, "A_BOOL")
	r.Int(0, "A_INT")
	r.Duration(0, "A_DUR")
	r.Bytes(0, "A_SIZE")
	if got := r.Duration(0, "GOOD_DUR"); got != 90*time.Second {
		t.Errorf("Duration = %v, want 90s", got)
	}
	if got := r.Bytes(0, "GOOD_SIZE"); got != 1<<20 {
		t.Errorf("Bytes = %d, want 1MiB", got)
	}
	if got := r.List(nil, "LIST"); !cmp.Equal(got, []string{"a", "b"}) {
		t.Errorf("List = %q, want [a b]", got)
	}
	if got := r.String("def", "UNSET", "SECOND"); got != "two" {
		t.Errorf("String falls back to the second name: got %q, want two", got)
	}
	if got := r.String("def", "UNSET"); got != "def" {
		t.Errorf("String default = %q, want def", got)
	}
	err := r.Err()
	if err == nil {
		t.Fatal("Err = nil, want four problems")
	}
	for _, name := range []string{"A_BOOL", "A_INT", "A_DUR", "A_SIZE"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("Err does not name %s: %v", name, err)
		}
	}
}

func TestParseBytes(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int64{"0": 0, "1048576": 1 << 20, "1MB": 1e6, "512KiB": 512 << 10, "2 GiB": 2 << 30, "10B": 10} {
		if got, err := ParseBytes(in); err != nil || got != want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1", "1TB", "MB", "1.5MB"} {
		if _, err := ParseBytes(in); err == nil {
			t.Errorf("ParseBytes(%q) = nil error, want refusal", in)
		}
	}
}
