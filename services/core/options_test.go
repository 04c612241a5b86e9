package core

import (
	"context"
	"strings"
	"testing"

	"github.com/drone/drone-go/drone"
	"github.com/drone/drone-go/plugin/config"
	"github.com/drone/drone-go/plugin/converter"
	"github.com/drone/drone-go/plugin/validator"

	"github.com/hangar-ci/hangar/shared/envconf"
)

func TestOptionsFromEnv(t *testing.T) {
	t.Parallel()
	t.Run("defaults alone", func(t *testing.T) {
		t.Parallel()
		o, err := OptionsFromEnv(envconf.Map(nil), "")
		if err != nil {
			t.Fatal(err)
		}
		if o.ConfigEndpoint != "" || o.DatabaseDriver != "sqlite3" || o.DatabaseDatasource != "file:data/core.db" || o.StatusName != "continuous-integration/drone" {
			t.Errorf("got %+v, want no extensions, SQLite at data/core.db, Drone's status name", o)
		}
	})
	t.Run("hangar all defaults to loopback", func(t *testing.T) {
		t.Parallel()
		o, err := OptionsFromEnv(envconf.Map(map[string]string{"DRONE_SECRET": "s"}), "http://127.0.0.1:3000")
		if err != nil {
			t.Fatal(err)
		}
		got := []string{o.ConfigEndpoint, o.ConvertEndpoint, o.ValidateEndpoint, strings.Join(o.WebhookEndpoints, ","), o.ConfigSecret, o.WebhookSecret}
		want := []string{"http://127.0.0.1:3000/config", "http://127.0.0.1:3000/convert", "http://127.0.0.1:3000/validate", "http://127.0.0.1:3000/webhook", "s", "s"}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("got %v, want %v", got, want)
		}
	})
	t.Run("every problem at once", func(t *testing.T) {
		t.Parallel()
		_, err := OptionsFromEnv(envconf.Map(map[string]string{
			"DRONE_YAML_ENDPOINT":   "http://x",
			"DRONE_YAML_TIMEOUT":    "soon",
			"DRONE_DATABASE_DRIVER": "mysql",
			"DRONE_SERVER_PROTO":    "ftp",
			"DRONE_WEBHOOK_EVENTS":  "build:[",
		}), "")
		if err == nil {
			t.Fatal("got nil, want errors")
		}
		for _, name := range []string{"DRONE_YAML_SECRET", "DRONE_YAML_TIMEOUT", "DRONE_DATABASE_DRIVER", "DRONE_SERVER_PROTO", "DRONE_WEBHOOK_EVENTS"} {
			if !strings.Contains(err.Error(), name) {
				t.Errorf("error %q does not name %s", err, name)
			}
		}
	})
}

// TestExtensionRequests checks what extensions receive during triggering:
// Drone's reduced repository and the unsaved build (id and number 0,
// status pending), and the final YAML for the validator.
func TestExtensionRequests(t *testing.T) {
	t.Parallel()
	var cfgReq *config.Request
	var valReq *validator.Request
	f := newFixture(t,
		&fakeConfig{find: func(r *config.Request) (*drone.Config, error) { cfgReq = r; return &drone.Config{Data: "raw"}, nil }},
		&fakeConvert{convert: func(r *converter.Request) (*drone.Config, error) {
			if r.Config.Data != "raw" {
				t.Errorf("convert got %q, want the config answer", r.Config.Data)
			}
			return &drone.Config{Data: twoPipelines}, nil
		}},
		&fakeValidate{validate: func(r *validator.Request) error { valReq = r; return nil }}, noWebhook{})
	f.repo.Trusted, f.repo.CancelPush = true, true
	if _, _, err := f.t.trigger(context.Background(), f.repo, pushHook()); err != nil {
		t.Fatal(err)
	}
	b := cfgReq.Build
	if b.ID != 0 || b.Number != 0 || b.Status != "pending" || b.Trigger != "@hook" || b.Started != 0 || b.Created != 1700000000 {
		t.Errorf("config request build: got %+v, want unsaved and pending", b)
	}
	r := cfgReq.Repo
	if r.ID != f.repo.ID || r.Slug != "octo/hello" || !r.Trusted || r.Config != ".drone.yml" || r.CancelPush || r.Secret != "" {
		t.Errorf("config request repo: got %+v, want Drone's reduced repository without secret", r)
	}
	if valReq == nil || valReq.Config.Data != twoPipelines || valReq.Config.Kind != "" {
		t.Errorf("validate request: got %+v, want the converted YAML with an empty kind", valReq)
	}
}
