package config

import (
	"io"
	"log/slog"
	"net/http"

	"github.com/hangar-ci/hangar/shared/httperr"
	"github.com/hangar-ci/hangar/shared/reqlog"
	"github.com/hangar-ci/hangar/shared/scmhook"
	"github.com/hangar-ci/hangar/shared/tree"
)

const maxHookBody = 25 << 20 // GitHub caps payloads at 25 MB

// hook receives the config repository's push webhook and drops the cached
// copy of a remote tree, so the next lookup reads the pushed content.
func (s *service) hook(w http.ResponseWriter, r *http.Request) {
	if s.opts.HookSecret == "" {
		httperr.Write(w, r, httperr.New(httperr.NotFound, "the config repository webhook is disabled: set HANGAR_REPO_WEBHOOK_SECRET"))
		return
	}
	p, err := scmhook.Detect(r.Header)
	if err != nil {
		httperr.Write(w, r, httperr.Wrap(httperr.Invalid, err, "%v", err))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxHookBody))
	if err != nil {
		httperr.Write(w, r, httperr.Wrap(httperr.TooLarge, err, "webhook body unreadable or over %d bytes", maxHookBody))
		return
	}
	if err := scmhook.Verify(p, r.Header, body, s.opts.HookSecret); err != nil {
		httperr.Write(w, r, httperr.Wrap(httperr.Unauthorized, err, "%v", err))
		return
	}
	event := scmhook.Event(p, r.Header)
	reqlog.Annotate(r.Context(), slog.String("provider", string(p)), slog.String("event", event))
	inv, ok := s.repo.(tree.Invalidator)
	if !ok {
		// A local directory reloads itself; nothing is cached.
		w.WriteHeader(http.StatusNoContent)
		return
	}
	inv.Invalidate()
	reqlog.From(r.Context()).Info("config repository cache invalidated")
	w.WriteHeader(http.StatusNoContent)
}
