package convert

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/drone/drone-go/drone"
	"github.com/drone/drone-go/plugin/converter"

	"github.com/hangar-ci/hangar/shared/pipeline"
	"github.com/hangar-ci/hangar/shared/reqlog"
	"github.com/hangar-ci/hangar/shared/scm"
	"github.com/hangar-ci/hangar/shared/wire"
)

// pathsFilter is the paths mode (HANGAR_CONVERT_PATHS) for teams on a
// real Drone server, which never evaluates `paths` itself: after the
// conversion (or for plain YAML, which is otherwise answered 204) it
// evaluates `trigger: paths` and `when: paths` against the build's changed
// files and rewrites the units that must not run so that Drone's own rules
// skip them (pipeline.Disable: their trigger or when becomes
// `event: {exclude: ["*"]}`).
//
// Drone verifies a protected repository's signature over the converted
// file, so a rewrite would block every build: protected repositories are
// never rewritten, and their pipelines run whatever changed. (Hangar's
// core server filters them without rewriting.) When the changed files
// cannot be known or trusted, nothing is rewritten either: fail open.
type pathsFilter struct {
	changes scm.Changer
	next    http.Handler
}

// bufferedWriter holds the wrapped handler's answer.
type bufferedWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedWriter) Header() http.Header { return b.header }
func (b *bufferedWriter) WriteHeader(s int) {
	if b.status == 0 {
		b.status = s
	}
}
func (b *bufferedWriter) Write(p []byte) (int, error) {
	b.WriteHeader(http.StatusOK)
	return b.body.Write(p)
}

func (b *bufferedWriter) replay(w http.ResponseWriter) {
	for k, v := range b.header {
		w.Header()[k] = v
	}
	if b.status == 0 {
		b.status = http.StatusOK
	}
	w.WriteHeader(b.status)
	w.Write(b.body.Bytes())
}

func (f *pathsFilter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &bufferedWriter{header: http.Header{}}
	f.next.ServeHTTP(rec, r)
	var req converter.Request
	if (rec.status != http.StatusOK && rec.status != http.StatusNoContent) || wire.Decode(r, &req) != nil {
		rec.replay(w)
		return
	}
	data := req.Config.Data
	if rec.status == http.StatusOK {
		var c drone.Config
		if json.Unmarshal(rec.body.Bytes(), &c) != nil {
			rec.replay(w)
			return
		}
		data = c.Data
	}
	out, ok := f.filter(r.Context(), &req, data)
	if !ok {
		rec.replay(w)
		return
	}
	body, _ := json.Marshal(drone.Config{Data: out})
	body = append(body, '\n')
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

// filter returns the rewritten file and true, or false to leave the answer
// as it is.
func (f *pathsFilter) filter(ctx context.Context, req *converter.Request, data string) (string, bool) {
	if req.Repo.Protected {
		reqlog.Annotate(ctx, slog.String("paths", "protected repository: not filtered"))
		return "", false
	}
	m, err := pipeline.Parse([]byte(data))
	if err != nil || !m.UsesPaths() {
		return "", false // Drone reports a parse error itself
	}
	slug := repoSlug(req.Repo)
	cs, err := f.changes.Changes(ctx, scm.ChangeRequest{Slug: slug, Event: req.Build.Event, Before: req.Build.Before,
		After: req.Build.After, Ref: req.Build.Ref, Target: req.Build.Target, DefaultBranch: req.Repo.Branch})
	if err != nil {
		reqlog.From(ctx).Warn("changed files unavailable: paths not filtered", slog.String("error", err.Error()))
		return "", false
	}
	if cs.Incomplete {
		reqlog.Annotate(ctx, slog.String("paths", "not filtered: "+cs.Note))
		return "", false
	}
	plan, err := m.Plan(pipeline.Values{Branch: req.Build.Target, Event: req.Build.Event, Action: req.Build.Action, Ref: req.Build.Ref,
		Repo: slug, Target: req.Build.Deploy, Cron: req.Build.Cron, Changes: &pipeline.Changes{Files: cs.Files, Message: req.Build.Message}})
	if err != nil {
		return "", false
	}
	u := pipeline.UnitsOf(plan)
	if u.Empty() {
		return "", false
	}
	out, err := pipeline.Disable([]byte(data), u)
	if err != nil {
		reqlog.From(ctx).Warn("paths not filtered", slog.String("error", err.Error()))
		return "", false
	}
	reqlog.Annotate(ctx, slog.Int("changed_files", len(cs.Files)), slog.Int("pipelines_skipped", len(u.Pipelines)))
	return string(out), true
}
