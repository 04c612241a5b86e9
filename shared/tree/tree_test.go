package tree

import (
	"errors"
	"strings"
	"testing"
)

func TestValidPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path string
		ok   bool
	}{
		{"default.yaml", true},
		{"octo/hello/release/1.2.yaml", true},
		{"_hangar/lib/go.star", true},
		{"", false},
		{"/etc/passwd", false},
		{"a//b", false},
		{"a/./b", false},
		{"../x", false},
		{"a/../../x", false},
		{"a/..", false},
		{`a\..\b`, false},
		{"%2e%2e/x", false},
		{"a\x00b", false},
		{"a\nb", false},
		{"c:/windows", false},
		{strings.Repeat("a", MaxSegmentLen+1), false},
		{strings.Repeat("a/", MaxPathLen/2+1) + "x", false},
	}
	for _, tt := range tests {
		err := ValidPath(tt.path)
		if (err == nil) != tt.ok {
			t.Errorf("ValidPath(%q) = %v, want ok=%v", tt.path, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidPath) {
			t.Errorf("ValidPath(%q) error %v does not wrap ErrInvalidPath", tt.path, err)
		}
	}
	if err := ValidSegment("a/b"); err == nil {
		t.Error("ValidSegment(\"a/b\") = nil, want refusal: a segment holds no slash")
	}
}
