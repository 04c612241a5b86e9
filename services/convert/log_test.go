package convert

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/hangar-ci/hangar/shared/servicetest"
)

// TestAccessLog checks what an operator sees of a conversion: repository,
// file, cache outcome and the steps it took (to size the step limit).
func TestAccessLog(t *testing.T) {
	t.Parallel()
	var buf servicetest.Logs
	config, _ := servicetest.Tree(t, hostileConfig(t))
	s := startLogging(t, testOptions(), config, &buf)
	for range 2 {
		if _, err := s.convert(context.Background(), request(".drone.star", validScript, "push")); err != nil {
			t.Fatal(err)
		}
	}
	var lines []map[string]any
	for _, l := range buf.Lines() {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil && m["msg"] == "request" {
			lines = append(lines, m)
		}
	}
	if len(lines) != 2 {
		t.Fatalf("got %d access log lines, want 2:\n%s", len(lines), buf.String())
	}
	miss, hit := lines[0], lines[1]
	if miss["repo"] != "octo/platform" || miss["file"] != ".drone.star" || miss["cache"] != "miss" || miss["modules"] != 1.0 {
		t.Errorf("first line: got %v", miss)
	}
	if steps, _ := miss["steps"].(float64); steps <= 0 {
		t.Errorf("first line: got steps %v, want a positive count", miss["steps"])
	}
	if hit["cache"] != "hit" || hit["repo"] != "octo/platform" {
		t.Errorf("second line: got %v, want a cache hit of octo/platform", hit)
	}
}
