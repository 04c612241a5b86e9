package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/drone/drone-go/drone"

	"github.com/hangar-ci/hangar/services/convert"
	"github.com/hangar-ci/hangar/services/validate"
	"github.com/hangar-ci/hangar/shared/envconf"
	"github.com/hangar-ci/hangar/shared/pipeline"
	"github.com/hangar-ci/hangar/shared/pipeline/foreign"
	"github.com/hangar-ci/hangar/shared/tree"
	"github.com/hangar-ci/hangar/shared/wire"
)

// lintTool is `hangar lint [DIR|FILE]`: it checks a whole config
// repository as the services would see it, for the repository's own CI, or
// one file. Every pipeline file must parse (Starlark and Jsonnet after
// rendering, Drone 0.8 and GitLab CI after conversion, with the
// conversion's warnings shown), pass Drone's lint rules and not be denied
// by _hangar/policy.yaml. Problems are
// printed as FILE:LINE: message; any problem makes the exit status 1.
func lintTool(ctx context.Context, args []string, lookup envconf.Lookup, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("lint", flag.ContinueOnError)
	fs.SetOutput(stderr)
	event := fs.String("event", "push", "build event the policy is evaluated for")
	trusted := fs.Bool("trusted", false, "lint as for trusted repositories (privileged, host volumes… allowed by Drone's rules)")
	policyPath := fs.String("policy", validate.DefaultPolicyPath, "policy file inside DIR")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: hangar lint [flags] [DIR|FILE]   check every pipeline of a config repository (default DIR: .), or one file")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	dir := "."
	switch fs.NArg() {
	case 0:
	case 1:
		dir = fs.Arg(0)
	default:
		fs.Usage()
		return errors.New("lint takes at most one directory")
	}
	// A single file (a .drone.yml, a .gitlab-ci.yml) is checked alone.
	var files []string
	single := false
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		dir, files, single = filepath.Dir(dir), []string{filepath.Base(dir)}, true
	}
	repo, err := tree.NewDir(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	if files == nil {
		all, err := repo.Files(ctx)
		if err != nil {
			return err
		}
		for _, name := range all {
			if isPipelineFile(name) {
				files = append(files, name)
			}
		}
	}
	l := &linter{out: stdout, repo: repo, event: *event, trusted: *trusted, read: repo.ReadFile}
	if single {
		// Read past the tree, which leaves out dotfiles such as .gitlab-ci.yml.
		l.read = func(_ context.Context, name string) ([]byte, error) { return os.ReadFile(filepath.Join(dir, name)) }
	}
	l.loadPolicy(ctx, *policyPath)
	slices.Sort(files)
	checked := 0
	for _, name := range files {
		checked++
		l.file(ctx, name)
	}
	fmt.Fprintf(stdout, "%d pipeline files checked, %d problems\n", checked, l.problems)
	if l.problems > 0 {
		return fmt.Errorf("lint: %d problems in %s", l.problems, dir)
	}
	return nil
}

type linter struct {
	out      io.Writer
	repo     *tree.Dir
	policy   *validate.Policy
	event    string
	trusted  bool
	problems int
	read     func(context.Context, string) ([]byte, error)
}

func (l *linter) report(name string, line int, format string, args ...any) {
	l.problems++
	if line > 0 {
		name = fmt.Sprintf("%s:%d", name, line)
	}
	fmt.Fprintf(l.out, "%s: %s\n", name, fmt.Sprintf(format, args...))
}

func (l *linter) loadPolicy(ctx context.Context, path string) {
	data, err := l.repo.ReadFile(ctx, path)
	if errors.Is(err, tree.ErrNotExist) {
		return
	}
	if err != nil {
		l.report(path, 0, "%v", err)
		return
	}
	p, err := validate.ParsePolicy(data)
	if err != nil {
		for _, e := range strings.Split(err.Error(), "\n") {
			l.report(path, 0, "%s", e)
		}
		return
	}
	l.policy = p
}

// isPipelineFile reports whether the config service could serve name.
func isPipelineFile(name string) bool {
	if strings.HasPrefix(name, "_hangar/") || strings.HasPrefix(filepath.Base(name), ".") {
		return false
	}
	switch filepath.Ext(name) {
	case ".yaml", ".yml", ".star", ".starlark", ".script", ".jsonnet":
		return true
	}
	return false
}

// buildFor is the build a central file would serve: the repository and
// branch its path names (<ns>/<repo>/<branch>.yaml), "*" where the file
// serves many (<ns>/default.yaml serves <ns>/*).
func (l *linter) buildFor(name string) (drone.Build, drone.Repo) {
	parts := strings.Split(strings.TrimSuffix(name, filepath.Ext(name)), "/")
	ns, repo, branch := "*", "*", "main"
	switch {
	case len(parts) == 2:
		ns = parts[0]
	case len(parts) >= 3:
		ns, repo = parts[0], parts[1]
		if b := strings.Join(parts[2:], "/"); b != "default" {
			branch = b
		}
	}
	slug := ns + "/" + repo
	ref := "refs/heads/" + branch
	if l.event == "tag" {
		ref = "refs/tags/" + branch
	}
	build := drone.Build{Event: l.event, Ref: ref, Target: branch, Source: branch, Trigger: "@hook", Status: drone.StatusPending}
	r := drone.Repo{Namespace: ns, Name: repo, Slug: slug, Branch: "main", Config: ".drone.yml", Trusted: l.trusted, Active: true}
	return build, r
}

func (l *linter) file(ctx context.Context, name string) {
	data, err := l.read(ctx, name)
	if err != nil {
		l.report(name, 0, "%v", err)
		return
	}
	build, repo := l.buildFor(name)
	text, shown := string(data), name
	if r, err := foreign.Convert(name, data, foreign.Options{DefaultBranch: repo.Branch}); err != nil {
		var fe *foreign.Error
		if !errors.As(err, &fe) {
			l.report(name, 0, "%v", err)
			return
		}
		for _, p := range fe.Problems {
			l.report(name, p.Line, "%s: %s: %s", fe.Format.Title(), p.Key, p.Message)
		}
		return
	} else if r != nil {
		for _, w := range r.Warnings {
			fmt.Fprintf(l.out, "%s: warning: %s\n", at(name, w.Line), w.Message)
		}
		// Lines below refer to the converted YAML.
		text, shown = string(r.YAML), name+" (converted from "+r.Format.Title()+")"
	} else if kind := wire.ScriptKind(name); kind != "yaml" {
		text, err = convert.Render(ctx, convert.Input{Name: name, Kind: kind, Script: data, Central: true, Build: build, Repo: repo, Config: l.repo})
		if err != nil {
			l.report(name, 0, "%v", err)
			return
		}
		// Lines below refer to the rendered YAML, not the script.
		shown = name + " (rendered)"
	}
	m, err := pipeline.Parse([]byte(text))
	if err != nil {
		var pe *pipeline.Error
		line := 0
		if errors.As(err, &pe) {
			line = pe.Line
		}
		l.report(shown, line, "%v", err)
		return
	}
	for _, e := range pipeline.Lint(m, l.trusted) {
		l.report(shown, e.Line, "%s%s", e.Message, where(e.Pipeline, e.Step))
	}
	if l.policy == nil {
		return
	}
	for _, v := range l.policy.Evaluate(ctx, validate.Input{Build: build, Repo: repo, Manifest: m}) {
		line := v.Line
		if v.Outcome != validate.OutcomeDeny {
			fmt.Fprintf(l.out, "%s: note: %s builds of %s: rule %q: %s%s\n", at(shown, line), v.Outcome, repo.Slug, v.Rule, v.Message, where(v.Pipeline, v.Step))
			continue
		}
		l.report(shown, line, "policy rule %q: %s%s", v.Rule, v.Message, where(v.Pipeline, v.Step))
	}
}

func at(name string, line int) string {
	if line > 0 {
		return fmt.Sprintf("%s:%d", name, line)
	}
	return name
}

func where(p, step string) string {
	switch {
	case p != "" && step != "":
		return fmt.Sprintf(" (pipeline %q, step %q)", p, step)
	case p != "":
		return fmt.Sprintf(" (pipeline %q)", p)
	case step != "":
		return fmt.Sprintf(" (step %q)", step)
	}
	return ""
}
