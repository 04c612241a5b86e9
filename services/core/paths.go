package core

import (
	"context"
	"errors"
	"log/slog"

	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/services/core/store"
	"github.com/hangar-ci/hangar/shared/pipeline"
	"github.com/hangar-ci/hangar/shared/reqlog"
	"github.com/hangar-ci/hangar/shared/scm"
)

// PathStore keeps what path filtering decided for each build.
type PathStore interface {
	SavePathReport(ctx context.Context, r *model.PathReport) error
	FindPathReport(ctx context.Context, buildID int64) (*model.PathReport, error)
}

// pathFilter evaluates `trigger: paths` and `when: paths` in the trigger,
// which Drone never does. It reads the manifest as parsed and never
// rewrites it, so a protected repository's signature is checked over the
// file as written and still verifies.
//
// Changed files are asked of the SCM only when some pipeline or step has
// a path condition. When they cannot be trusted (truncated, an SCM error,
// no base to compare with) every path condition matches — the build runs
// everything — and the report says why.
type pathFilter struct {
	changers map[string]scm.Changer // by SCM kind
	store    PathStore              // nil: reports are not kept
}

// newPathFilter takes each SCM that can list changed files, behind a
// per-commit-pair cache of size entries.
func newPathFilter(scms func(string) SCM, st Store, size int) *pathFilter {
	f := &pathFilter{changers: map[string]scm.Changer{}}
	for _, kind := range []string{"github", "gitlab"} {
		if c, ok := scms(kind).(scm.Changer); ok {
			f.changers[kind] = scm.NewChangeCache(c, size)
		}
	}
	f.store, _ = st.(PathStore)
	return f
}

// evaluate returns the changes Plan matches path conditions against and
// the report to complete, or nil and nil when m has no path condition (or
// path filtering is off), so that nothing is asked of the SCM.
func (f *pathFilter) evaluate(ctx context.Context, repo *model.Repo, h *model.Hook, m *pipeline.Manifest) (*pipeline.Changes, *model.PathReport) {
	if f == nil || !m.UsesPaths() {
		return nil, nil
	}
	ch := &pipeline.Changes{Message: h.Message}
	rep := &model.PathReport{}
	c, ok := f.changers[repo.SCM]
	if !ok {
		ch.All, rep.Incomplete, rep.Note = true, true, "changed files unavailable: no API access configured for "+repo.SCM
		return ch, rep
	}
	cs, err := c.Changes(ctx, scm.ChangeRequest{
		Slug: repo.Slug, Event: h.Event, Before: h.Before, After: h.After, Ref: h.Ref,
		Target: h.Target, DefaultBranch: repo.Branch,
	})
	if err != nil {
		reqlog.From(ctx).Warn("changed files unavailable: every path condition matches", slog.String("error", err.Error()))
		ch.All, rep.Incomplete, rep.Note = true, true, "changed files unavailable: "+err.Error()
		return ch, rep
	}
	ch.Files, ch.All = cs.Files, cs.Incomplete
	rep.ChangedFiles, rep.Incomplete, rep.Note = len(cs.Files), cs.Incomplete, cs.Note
	reqlog.Annotate(ctx, slog.Int("changed_files", len(cs.Files)), slog.Bool("changes_incomplete", cs.Incomplete))
	return ch, rep
}

// decide fills the report's decisions from the plan, pipelines in file
// order, each followed by the steps its path conditions skip.
func decide(rep *model.PathReport, m *pipeline.Manifest, plan *pipeline.Plan) {
	if rep == nil {
		return
	}
	ran := map[*pipeline.Pipeline]*pipeline.Stage{}
	for i := range plan.Stages {
		ran[plan.Stages[i].Pipeline] = &plan.Stages[i]
	}
	skipped := map[*pipeline.Pipeline]pipeline.Skipped{}
	for _, s := range plan.Skipped {
		skipped[s.Pipeline] = s
	}
	rep.Decisions = rep.Decisions[:0]
	for _, p := range m.Pipelines() {
		name := p.Name
		if name == "" {
			name = "default"
		}
		if st, ok := ran[p]; ok {
			rep.Decisions = append(rep.Decisions, model.PathDecision{Pipeline: name, Run: true})
			for _, s := range st.SkippedSteps {
				rep.Decisions = append(rep.Decisions, model.PathDecision{Pipeline: name, Step: s.Name, Reason: "skipped: " + s.Reason})
			}
			continue
		}
		why := "skipped: trigger " + skipped[p].Condition + " does not match"
		if skipped[p].Reason != "" {
			why = "skipped: " + skipped[p].Reason
		}
		rep.Decisions = append(rep.Decisions, model.PathDecision{Pipeline: name, Reason: why})
	}
}

// save keeps the report of a build once the build exists. The decisions
// already took effect in the stages; a failure to keep them is logged.
func (f *pathFilter) save(ctx context.Context, b *model.Build, rep *model.PathReport) {
	if f == nil || f.store == nil || rep == nil || b == nil || b.ID == 0 {
		return
	}
	rep.BuildID = b.ID
	if err := f.store.SavePathReport(ctx, rep); err != nil {
		reqlog.From(ctx).Warn("path report not kept", slog.Int64("build", b.Number), slog.String("error", err.Error()))
	}
}

// report returns a build's path report, nil when it has none.
func (f *pathFilter) report(ctx context.Context, b *model.Build) (*model.PathReport, error) {
	if f == nil || f.store == nil {
		return nil, nil
	}
	r, err := f.store.FindPathReport(ctx, b.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return r, err
}

// runnerConfig returns the pipeline file the runners get: Drone leaves
// step conditions to the runners, which do not know the changed files, so
// the steps a `when: paths` skipped have their when replaced by one no
// build matches (pipeline.Disable) and the runner skips them by Drone's
// own rules. The signature of a protected repository was verified over
// the file as written, before this rewrite; runners do not check it, and
// the rewrite only takes work away. A file that cannot be rewritten
// (anchored steps) is kept as it was: those steps run.
func runnerConfig(ctx context.Context, data string, plan *pipeline.Plan) string {
	u := pipeline.UnitsOf(plan)
	if len(u.Steps) == 0 {
		return data
	}
	u.Pipelines = nil // skipped pipelines have no stage to run
	out, err := pipeline.Disable([]byte(data), u)
	if err != nil {
		reqlog.From(ctx).Warn("steps skipped by paths left to run", slog.String("error", err.Error()))
		return data
	}
	return string(out)
}
