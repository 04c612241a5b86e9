package core

import (
	"context"
	"net/http"

	"github.com/hangar-ci/hangar/shared/httperr"
)

// queuePaused is the setting that holds the queue: while "true" runners
// are handed no stage. It lives in the database, so a pause on one replica
// holds every replica's queue.
const queuePaused = "queue_paused"

// QueuePaused reports whether an administrator paused the queue.
func (s *service) QueuePaused(ctx context.Context) (bool, error) {
	v, err := s.db.Setting(ctx, queuePaused)
	return v == "true", err
}

func (s *service) setQueuePaused(paused bool) http.HandlerFunc {
	v := map[bool]string{true: "true", false: "false"}[paused]
	return func(w http.ResponseWriter, r *http.Request) {
		if err := s.db.PutSetting(r.Context(), queuePaused, v); err != nil {
			httperr.Write(w, r, storeError(err, "queue setting"))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// pauseQueue is DELETE /api/queue.
func (s *service) pauseQueue(w http.ResponseWriter, r *http.Request) { s.setQueuePaused(true)(w, r) }

// resumeQueue is POST /api/queue.
func (s *service) resumeQueue(w http.ResponseWriter, r *http.Request) { s.setQueuePaused(false)(w, r) }
