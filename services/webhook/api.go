package webhook

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hangar-ci/hangar/shared/httperr"
	"github.com/hangar-ci/hangar/shared/reqlog"
	"github.com/hangar-ci/hangar/shared/wire"
)

// routes mounts the token-protected API.
func (s *service) routes(mux *http.ServeMux) {
	mux.Handle("GET /api/events", s.authorized(s.listEvents))
	mux.Handle("GET /api/events/{id}", s.authorized(s.showEvent))
	mux.Handle("GET /api/dead-letters", s.authorized(s.listDead))
	mux.Handle("POST /api/deliveries/{id}/redeliver", s.authorized(s.redeliver))
}

// authorized lets a request through with the Bearer token only. Both
// sides are hashed first so the comparison takes the same time whatever
// the length of the guess.
func (s *service) authorized(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.opts.APIToken == "" {
			httperr.Write(w, r, httperr.New(httperr.NotFound, "the webhook API is disabled: set HANGAR_WEBHOOK_API_TOKEN"))
			return
		}
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		want := sha256.Sum256([]byte(s.opts.APIToken))
		have := sha256.Sum256([]byte(got))
		if !ok || subtle.ConstantTimeCompare(have[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="hangar-webhook"`)
			httperr.Write(w, r, httperr.New(httperr.Unauthorized, "a valid Bearer token is required"))
			return
		}
		next(w, r)
	})
}

// page reads the ?limit= and ?before= cursor of a list.
func page(r *http.Request) (before int64, limit int, err error) {
	limit = 50
	if v := r.URL.Query().Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 500 {
			return 0, 0, httperr.New(httperr.Invalid, "limit %q must be a number from 1 to 500", trim(v))
		}
	}
	if v := r.URL.Query().Get("before"); v != "" {
		if before, err = strconv.ParseInt(v, 10, 64); err != nil || before < 1 {
			return 0, 0, httperr.New(httperr.Invalid, "before %q must be a positive id", trim(v))
		}
	}
	return before, limit, nil
}

// listEvents answers the most recent events with their deliveries.
func (s *service) listEvents(w http.ResponseWriter, r *http.Request) {
	before, limit, err := page(r)
	if err != nil {
		httperr.Write(w, r, err)
		return
	}
	events, err := s.store.Events(r.Context(), before, limit)
	if err != nil {
		httperr.Write(w, r, httperr.Wrap(httperr.Unavailable, err, "reading events failed: %v", err))
		return
	}
	if events == nil {
		events = []EventDeliveries{}
	}
	wire.WriteJSON(w, http.StatusOK, map[string]any{"events": events})
}

// showEvent answers one event with its payload and deliveries.
func (s *service) showEvent(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		httperr.Write(w, r, httperr.New(httperr.Invalid, "event id %q must be a positive number", trim(r.PathValue("id"))))
		return
	}
	e, err := s.store.Event(r.Context(), id)
	switch {
	case errors.Is(err, errNotFound):
		httperr.Write(w, r, httperr.New(httperr.NotFound, "no event %d", id))
		return
	case err != nil:
		httperr.Write(w, r, httperr.Wrap(httperr.Unavailable, err, "reading the event failed: %v", err))
		return
	}
	wire.WriteJSON(w, http.StatusOK, e)
}

// listDead answers the dead-letter list, newest first.
func (s *service) listDead(w http.ResponseWriter, r *http.Request) {
	before, limit, err := page(r)
	if err != nil {
		httperr.Write(w, r, err)
		return
	}
	dead, err := s.store.DeadLetters(r.Context(), before, limit)
	if err != nil {
		httperr.Write(w, r, httperr.Wrap(httperr.Unavailable, err, "reading dead letters failed: %v", err))
		return
	}
	wire.WriteJSON(w, http.StatusOK, map[string]any{"dead_letters": dead})
}

// redeliver puts a dead (or delivered) delivery back in line with a fresh
// attempt budget.
func (s *service) redeliver(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		httperr.Write(w, r, httperr.New(httperr.Invalid, "delivery id %q must be a positive number", trim(r.PathValue("id"))))
		return
	}
	d, err := s.store.Redeliver(r.Context(), id, time.Now(), func(name string) bool {
		sinks, _ := s.sinks.Sinks()
		for _, k := range sinks {
			if k.Name == name {
				return true
			}
		}
		return false
	})
	switch {
	case errors.Is(err, errNotFound):
		httperr.Write(w, r, httperr.New(httperr.NotFound, "no delivery %d", id))
		return
	case errors.Is(err, errPending):
		httperr.Write(w, r, httperr.New(httperr.Conflict, "delivery %d is still pending: it will be attempted again anyway", id))
		return
	case errors.Is(err, errNoSink):
		httperr.Write(w, r, httperr.New(httperr.Conflict, "delivery %d goes to sink %q, which the sinks file no longer has", id, d.Sink))
		return
	case err != nil:
		httperr.Write(w, r, httperr.Wrap(httperr.Unavailable, err, "redelivering failed: %v", err))
		return
	}
	reqlog.Annotate(r.Context(), slog.Int64("delivery", id), slog.String("sink", d.Sink))
	s.dispatch.wakeAll()
	wire.WriteJSON(w, http.StatusOK, map[string]any{"delivery": d})
}
