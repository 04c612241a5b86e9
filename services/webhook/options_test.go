package webhook

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hangar-ci/hangar/shared/envconf"
	"github.com/hangar-ci/hangar/shared/httpsig"
)

func TestOptionsFromEnv(t *testing.T) {
	t.Parallel()
	t.Run("defaults", func(t *testing.T) {
		t.Parallel()
		got, err := OptionsFromEnv(envconf.Map(map[string]string{"DRONE_SECRET": "shared", "DRONE_WEBHOOK_SECRET": "webhook"}))
		if err != nil {
			t.Fatal(err)
		}
		want := Options{Signature: httpsig.Settings{Secret: "webhook", Skew: 5 * time.Minute, MaxBody: 1 << 20}, Driver: "sqlite3",
			DSN: "file:data/webhook.db", SinksFile: "_hangar/sinks.yaml", Poll: time.Second, Retention: DefaultRetention}
		if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(Options{}, "Lookup")); diff != "" {
			t.Errorf("OptionsFromEnv (-want +got):\n%s", diff)
		}
	})
	t.Run("every problem at once", func(t *testing.T) {
		t.Parallel()
		_, err := OptionsFromEnv(envconf.Map(map[string]string{
			"HANGAR_WEBHOOK_DATABASE_DRIVER": "mysql",
			"HANGAR_WEBHOOK_SINKS_FILE":      "../sinks.yaml",
			"HANGAR_WEBHOOK_API_TOKEN":       "short",
			"HANGAR_WEBHOOK_POLL":            "soon",
		}))
		if err == nil {
			t.Fatal("OptionsFromEnv = nil error, want every problem")
		}
		for _, name := range []string{"DRONE_SECRET", "HANGAR_WEBHOOK_DATABASE_DRIVER", "HANGAR_WEBHOOK_DATABASE_DATASOURCE",
			"HANGAR_WEBHOOK_SINKS_FILE", "HANGAR_WEBHOOK_API_TOKEN", "HANGAR_WEBHOOK_POLL"} {
			if !strings.Contains(err.Error(), name) {
				t.Errorf("error %q does not name %s", err, name)
			}
		}
	})
}
