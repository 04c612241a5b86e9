package webhook

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/drone/drone-go/drone"
	"github.com/drone/drone-go/plugin/logger"
	dronewebhook "github.com/drone/drone-go/plugin/webhook"
	"github.com/google/go-cmp/cmp"

	"github.com/hangar-ci/hangar/shared/sqldb"
)

// recorder is a drone-go webhook plugin that remembers what it got.
type recorder struct {
	mu  sync.Mutex
	got []*dronewebhook.Request
}

func (r *recorder) Deliver(_ context.Context, req *dronewebhook.Request) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, req)
	return nil
}

func (r *recorder) requests() []*dronewebhook.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*dronewebhook.Request(nil), r.got...)
}

// TestDroneGo: drone-go v1.7.1's own webhook client is accepted by the
// intake, and an http sink's delivery passes drone-go's own webhook
// handler, the code existing Drone webhook receivers run.
func TestDroneGo(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	receiver := httptest.NewServer(dronewebhook.Handler(rec, sinkSecret, logger.Discard()))
	t.Cleanup(receiver.Close)
	f := start(t, sqldb.SQLite, "sinks:\n"+httpSinkYAML("drone-receiver", receiver.URL, ""))

	sent := &dronewebhook.Request{
		Event: dronewebhook.EventBuild, Action: dronewebhook.ActionUpdated,
		Repo:  &drone.Repo{ID: 7, Namespace: "octo", Name: "api", Slug: "octo/api"},
		Build: &drone.Build{ID: 12, Number: 3, Status: drone.StatusFailing, Version: 5, Target: "main", Started: 100, Finished: 160},
	}
	if err := dronewebhook.Client(f.URL+"/", testSecret, false).Deliver(context.Background(), sent); err != nil {
		t.Fatalf("drone-go client Deliver = %v, want nil", err)
	}
	// The terminal status also yields build:completed.
	waitFor(t, "drone-go's handler to get both events", func() bool { return len(rec.requests()) == 2 })
	got := rec.requests()
	if diff := cmp.Diff(sent, got[0]); diff != "" {
		t.Errorf("drone-go handler got (-sent +got):\n%s", diff)
	}
	if got[1].Action != "completed" || got[1].Build == nil || got[1].Build.ID != 12 {
		t.Errorf("second event = %s:%s build %+v, want build:completed for build 12", got[1].Event, got[1].Action, got[1].Build)
	}
}
