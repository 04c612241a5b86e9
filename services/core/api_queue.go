package core

import (
	"net/http"

	"github.com/hangar-ci/hangar/shared/httperr"
)

// setQueuePaused pauses or resumes the queue of every replica (the pause
// lives in the database); a resume wakes the parked polls of every
// replica at once (the queue's notification).
func (s *service) setQueuePaused(paused bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := s.runners.queue.SetPaused(r.Context(), paused); err != nil {
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
