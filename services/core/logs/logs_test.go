package logs

import (
	"testing"

	"github.com/hangar-ci/hangar/services/core/model"
)

func TestNewest(t *testing.T) {
	t.Parallel()
	lines := []*model.Line{{Pos: 0, Out: "aaaa\n"}, {Pos: 1, Out: "bbbb\n"}, {Pos: 2, Out: "cc\n"}}
	tests := []struct {
		limit int64
		want  int // first position kept
	}{{100, 0}, {13, 0}, {12, 1}, {8, 1}, {7, 2}, {3, 2}, {2, 3}}
	for _, tt := range tests {
		got := Newest(lines, tt.limit)
		first := 3
		if len(got) > 0 {
			first = got[0].Pos
		}
		if first != tt.want || len(got) != 3-tt.want {
			t.Errorf("limit %d: got %d lines from %d, want from %d", tt.limit, len(got), first, tt.want)
		}
	}
}
