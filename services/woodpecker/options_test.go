package woodpecker

import (
	"strings"
	"testing"
	"time"

	"github.com/hangar-ci/hangar/shared/envconf"
)

func TestOptionsFromEnv(t *testing.T) {
	t.Parallel()
	key := "-----BEGIN PUBLIC KEY-----\n…"
	tests := []struct {
		name string
		env  map[string]string
		self string
		want string // substring of the error, "" for none
	}{
		{"off", map[string]string{}, "", ""},
		{"hangar all", map[string]string{"HANGAR_WOODPECKER_PUBLIC_KEY": key, "DRONE_SECRET": "a-secret-of-enough-length"}, "http://127.0.0.1:3000", ""},
		{"alone needs Hangar's URL", map[string]string{"HANGAR_WOODPECKER_PUBLIC_KEY": key, "DRONE_SECRET": "a-secret-of-enough-length"}, "", "HANGAR_WOODPECKER_HANGAR_URL"},
		{"needs a secret", map[string]string{"HANGAR_WOODPECKER_PUBLIC_KEY": key}, "http://x", "DRONE_SECRET"},
		{"short mark secret", map[string]string{"HANGAR_WOODPECKER_PUBLIC_KEY": key, "DRONE_SECRET": "short"}, "http://x", "HANGAR_WOODPECKER_MARK_SECRET"},
		{"bad window", map[string]string{"HANGAR_WOODPECKER_SIGNATURE_PAST": "0s"}, "", "HANGAR_WOODPECKER_SIGNATURE_PAST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o, err := OptionsFromEnv(envconf.Map(tt.env), tt.self)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("err = %v, want nil", err)
				}
				if o.Past != 10*time.Second || o.Future != 2*time.Second || o.SecretsPath != DefaultSecretsPath {
					t.Errorf("defaults = %v %v %q, want 10s 2s %q", o.Past, o.Future, o.SecretsPath, DefaultSecretsPath)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one naming %s", err, tt.want)
			}
		})
	}
}
