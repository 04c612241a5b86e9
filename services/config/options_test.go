package config

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hangar-ci/hangar/shared/envconf"
	"github.com/hangar-ci/hangar/shared/httpsig"
)

func TestOptionsFromEnv(t *testing.T) {
	t.Parallel()
	got, err := OptionsFromEnv(envconf.Map(map[string]string{
		"DRONE_SECRET": "global", "DRONE_YAML_SECRET": "per-service", "HANGAR_CONFIG_EXCLUSIVE": "true",
		"HANGAR_SIGNATURE_SKEW": "2m", "HANGAR_MAX_BODY_SIZE": "512KiB",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := Options{
		Signature: httpsig.Settings{Secret: "per-service", Skew: 2 * time.Minute, MaxBody: 512 << 10},
		Exclusive: true, Extensions: DefaultExtensions, TreeMaxDirs: 20,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("OptionsFromEnv (-want +got):\n%s", diff)
	}

	_, err = OptionsFromEnv(envconf.Map(map[string]string{
		"HANGAR_CONFIG_EXCLUSIVE": "sometimes", "HANGAR_SIGNATURE_SKEW": "-1m",
		"HANGAR_MAX_BODY_SIZE": "huge", "HANGAR_CONFIG_EXTENSIONS": "yaml",
	}))
	if err == nil {
		t.Fatal("OptionsFromEnv with five bad settings = nil error")
	}
	for _, name := range []string{"DRONE_SECRET", "HANGAR_CONFIG_EXCLUSIVE", "HANGAR_SIGNATURE_SKEW", "HANGAR_MAX_BODY_SIZE", "HANGAR_CONFIG_EXTENSIONS"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s:\n%v", name, err)
		}
	}
}
