package validate

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// billionLaughs is the alias bomb: ten aliases per level, 10^levels nodes.
func billionLaughs(levels int) string {
	var b strings.Builder
	b.WriteString("kind: pipeline\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i <= levels; i++ {
		fmt.Fprintf(&b, "a%d: &a%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d, ", i-1), 10), ", "))
	}
	return b.String()
}

func TestHostileYAMLOverHTTP(t *testing.T) {
	t.Parallel()
	f := start(t, e2ePolicy)
	hundredMB := "kind: pipeline\n" + strings.Repeat("# padding\n", 10<<20)
	tests := []struct {
		name   string
		yaml   string
		status int
		want   string
	}{
		{"billion laughs", billionLaughs(9), http.StatusBadRequest, "nodes through aliases"},
		{"10000-deep nesting", "kind: pipeline\nx: " + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + "\n", http.StatusBadRequest, "nesting deeper than"},
		{"10000-deep block nesting", "kind: pipeline\nx:\n" + strings.Repeat("- ", 10000) + "1\n", http.StatusBadRequest, "nesting deeper than"},
		{"100 MB document", hundredMB, http.StatusRequestEntityTooLarge, ""},
		{"invalid UTF-8", "", http.StatusBadRequest, "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.name == "invalid UTF-8" {
				// json.Marshal would repair the bytes; send them raw.
				body := []byte("{\"repo\":{\"slug\":\"a/b\"},\"config\":{\"data\":\"kind: pipeline\\nname: \xff\xfe\\n\"}}")
				code, msg := post(t, f, body, testSecret, time.Now())
				if code != http.StatusBadRequest || !strings.Contains(msg, "not valid UTF-8") {
					t.Errorf("got %d %q, want 400 naming the encoding", code, msg)
				}
				return
			}
			body, err := json.Marshal(map[string]any{
				"build": pushBuild(), "repo": repoOf("a/b", false), "config": map[string]string{"data": tt.yaml},
			})
			if err != nil {
				t.Fatal(err)
			}
			code, msg := post(t, f, body, testSecret, time.Now())
			if code != tt.status || !strings.Contains(msg, tt.want) {
				t.Errorf("got %d %.300q, want %d containing %q", code, msg, tt.status, tt.want)
			}
			if code == http.StatusBadRequest && !strings.Contains(msg, "invalid pipeline file") {
				t.Errorf("got %.300q, want the file named invalid", msg)
			}
		})
	}
}
