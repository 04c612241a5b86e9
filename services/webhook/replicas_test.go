package webhook

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hangar-ci/hangar/shared/sqldb"
	"github.com/hangar-ci/hangar/shared/wire"
)

// TestReplicasSharePostgres: two service processes on one PostgreSQL
// database, events sent to either, deliver every event once and in order
// per build: a delivery is leased before it is attempted.
func TestReplicasSharePostgres(t *testing.T) {
	t.Parallel()
	s := newSink(t, nil)
	shared := sqldb.TestDB(t, sqldb.Postgres)
	yaml := "sinks:\n" + httpSinkYAML("audit", s.URL, "    concurrency: 4\n")
	useShared := func(o *Options) { o.DB = shared }
	replicas := []*fixture{start(t, sqldb.Postgres, yaml, useShared), start(t, sqldb.Postgres, yaml, useShared)}

	const builds, versions = 10, 10
	want := map[string][]string{}
	for v := int64(1); v <= versions; v++ {
		for b := int64(1); b <= builds; b++ {
			p := buildEvent(wire.ActionUpdated, b, "running", v)
			// Alternate replicas, and send each event to both: the second
			// is recognised as a duplicate whichever replica gets it.
			for i := range 2 {
				status, _ := replicas[(int(v)+int(b)+i)%2].post(t, p)
				if want := []int{http.StatusAccepted, http.StatusOK}[i]; status != want {
					t.Fatalf("send %d of %s = %d, want %d", i+1, keyOf(p), status, want)
				}
			}
			id := fmt.Sprint(b)
			want[id] = append(want[id], keyOf(p))
		}
	}
	waitFor(t, "every event", func() bool { return len(s.accepted()) >= builds*versions })
	got := map[string][]string{}
	for _, r := range s.accepted() {
		var b int64
		fmt.Sscanf(r.Key, "build:updated:%d:", &b)
		got[fmt.Sprint(b)] = append(got[fmt.Sprint(b)], r.Key)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("deliveries per build (-want +got):\n%s", diff)
	}
}
