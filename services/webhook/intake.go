package webhook

import (
	"log/slog"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/hangar-ci/hangar/shared/httperr"
	"github.com/hangar-ci/hangar/shared/httpsig"
	"github.com/hangar-ci/hangar/shared/reqlog"
	"github.com/hangar-ci/hangar/shared/wire"
)

// accepted is the intake's answer. Drone ignores it; it is for people and
// for senders other than Drone.
type accepted struct {
	ID         int64  `json:"id,omitempty"`
	Key        string `json:"key"`
	Duplicate  bool   `json:"duplicate"`
	Deliveries int    `json:"deliveries"`
	// Completed is the id of a build:completed event this one caused.
	Completed int64 `json:"completed,omitempty"`
}

// intake stores one signed webhook and its deliveries, and only then
// answers 2xx: 202 for a new event, 200 for one already stored.
func (s *service) intake(w http.ResponseWriter, r *http.Request) {
	var p wire.WebhookPayload
	if err := wire.Decode(r, &p); err != nil {
		httperr.Write(w, r, err)
		return
	}
	body, _ := httpsig.Body(r)
	if !utf8.Valid(body) {
		// Stored as text on both databases; PostgreSQL refuses invalid
		// UTF-8, so it is refused here, before anything is written.
		httperr.Write(w, r, httperr.New(httperr.Invalid, "body is not valid UTF-8"))
		return
	}
	events, err := fromPayload(p, r.Header.Get("X-Drone-Event"), body, time.Now())
	if err != nil {
		httperr.Write(w, r, err)
		return
	}
	e := events[0]
	reqlog.Annotate(r.Context(), slog.String("repo", e.Repo), slog.String("event", e.Event+":"+e.Action), slog.String("key", e.Key))
	sinks, ok := s.sinks.Sinks()
	if !ok {
		// Storing an event with no valid routing would deliver it nowhere.
		httperr.Write(w, r, httperr.Wrap(httperr.Unavailable, s.sinks.Ready(r.Context()),
			"the sinks file cannot be read, so events cannot be routed: %v", s.sinks.Ready(r.Context())))
		return
	}
	routes := make([][]string, len(events))
	for i, ev := range events {
		for _, k := range sinks {
			if k.Match(ev) {
				routes[i] = append(routes[i], k.Name)
			}
		}
	}
	ids, err := s.store.Insert(r.Context(), events, routes)
	if err != nil {
		httperr.Write(w, r, httperr.Wrap(httperr.Unavailable, err, "storing the event failed: %v", err))
		return
	}
	s.dispatch.wakeAll()
	res := accepted{ID: ids[0], Key: e.Key, Duplicate: ids[0] == 0, Deliveries: len(routes[0])}
	result := "stored"
	status := http.StatusAccepted
	if res.Duplicate {
		result, status, res.Deliveries = "duplicate", http.StatusOK, 0
	}
	s.metrics.events.WithLabelValues(e.Event, e.Action, result).Inc()
	if len(ids) > 1 && ids[1] != 0 {
		res.Completed = ids[1]
		s.metrics.events.WithLabelValues(e.Event, wire.ActionCompleted, "synthesised").Inc()
	}
	reqlog.Annotate(r.Context(), slog.String("result", result))
	wire.WriteJSON(w, status, res)
}
