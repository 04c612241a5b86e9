package yamlerr

import (
	"errors"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestRedact(t *testing.T) {
	t.Parallel()
	const secret = "hunter2-8c1f"
	tests := []struct {
		name string
		doc  string
		into any
		want string
	}{
		{"scalar where a mapping belongs", "a: " + secret + "\n", &map[string]map[string]string{}, "invalid YAML at line 1"},
		{"two type errors", "a: [" + secret + "]\nb: [" + secret + "x]\n", &map[string]string{}, "invalid YAML at line 1, line 2"},
		{"syntax error", "a: [" + secret + "\n", &map[string]any{}, "invalid YAML at line 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := yaml.Unmarshal([]byte(tt.doc), tt.into)
			if err == nil {
				t.Fatal("yaml accepted the document, want an error to redact")
			}
			got := Redact(err)
			if got.Error() != tt.want {
				t.Errorf("got %q, want %q (from %q)", got, tt.want, err)
			}
			if strings.Contains(got.Error(), secret) || errors.Unwrap(got) != nil {
				t.Errorf("got %q (unwrap %v), want no trace of the value", got, errors.Unwrap(got))
			}
		})
	}
	t.Run("no position", func(t *testing.T) {
		t.Parallel()
		if got := Redact(errors.New("yaml: " + secret)); got.Error() != "invalid YAML" {
			t.Errorf("got %q, want %q", got, "invalid YAML")
		}
	})
	t.Run("nil", func(t *testing.T) {
		t.Parallel()
		if got := Redact(nil); got != nil {
			t.Errorf("got %v, want nil", got)
		}
	})
}
