package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/drone/drone-go/drone"

	"github.com/hangar-ci/hangar/services/convert"
	"github.com/hangar-ci/hangar/shared/envconf"
	"github.com/hangar-ci/hangar/shared/pipeline/foreign"
	"github.com/hangar-ci/hangar/shared/tree"
)

// The binary runs the convert service's Jsonnet evaluations in child
// processes of itself (`hangar convert-jsonnet-worker`), so that one past
// its time or memory limit can be killed. Test binaries of this package
// cannot serve as workers, so they keep evaluating in process.
func init() {
	tools[convert.WorkerArg] = func(context.Context, []string, envconf.Lookup, io.Writer, io.Writer) error {
		return convert.JsonnetWorker(os.Stdin, os.Stdout)
	}
	if exe, err := os.Executable(); err == nil && !strings.HasSuffix(exe, ".test") {
		convert.DefaultJsonnetWorker = []string{exe, convert.WorkerArg}
	}
}

// renderTool is `hangar convert FILE [flags]`: it renders a Starlark or
// Jsonnet pipeline locally, exactly as the convert service would, so a user
// can check a pipeline before pushing it. A Drone 0.8 or .gitlab-ci.yml
// file is converted to Drone 1.x YAML instead, warnings on stderr.
func renderTool(ctx context.Context, args []string, lookup envconf.Lookup, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("convert", flag.ContinueOnError)
	fs.SetOutput(stderr)
	env := envconf.New(lookup)
	event := fs.String("event", "push", "build event: push, pull_request, tag, cron, custom, promote")
	action := fs.String("action", "", "build action (opened, synchronized, create…)")
	branch := fs.String("branch", "main", "target branch (ctx.build.branch)")
	source := fs.String("source", "", "pull request source branch (default: the branch)")
	ref := fs.String("ref", "", "git ref (default refs/heads/<branch>, refs/tags/<branch> for a tag)")
	commit := fs.String("commit", "", "commit sha (ctx.build.commit)")
	message := fs.String("message", "", "commit message")
	slug := fs.String("repo", "octocat/hello-world", "repository namespace/name")
	defBranch := fs.String("default-branch", "main", "the repository's default branch (ctx.repo.branch)")
	trusted := fs.Bool("trusted", false, "mark the repository trusted")
	configDir := fs.String("config", env.String("config-repo", "HANGAR_REPO_DIR"), "central config repository (library under _hangar/lib)")
	root := fs.String("root", ".", "checkout of the repository being built, for load(\"//…\")")
	steps := fs.Uint64("steps", convert.DefaultStepLimit, "Starlark step limit")
	size := fs.Int("size", convert.DefaultSizeLimit, "output size limit in bytes")
	timeout := fs.Duration("timeout", convert.DefaultTimeout, "time limit")
	params, inputs := kvFlag{}, kvFlag{}
	fs.Var(params, "param", "build parameter name=value (ctx.build.params), repeatable")
	fs.Var(inputs, "input", "template input name=value (ctx.input; JSON values allowed), repeatable")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: hangar convert FILE [flags]   render a .star/.jsonnet pipeline, or convert a Drone 0.8 or .gitlab-ci.yml file, as Drone YAML")
		fs.PrintDefaults()
	}
	// Flags may come before or after FILE.
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(files) != 1 {
		fs.Usage()
		return errors.New("convert takes exactly one FILE")
	}
	script, err := os.ReadFile(files[0])
	if err != nil {
		return err
	}
	if r, err := foreign.Convert(files[0], script, foreign.Options{DefaultBranch: *defBranch}); err != nil {
		return err
	} else if r != nil {
		for _, w := range r.Warnings {
			fmt.Fprintf(stderr, "%s: warning: %s\n", at(files[0], w.Line), w.Message)
		}
		_, err = stdout.Write(r.YAML)
		return err
	}
	in := convert.Input{
		Script: script,
		Limits: convert.Limits{Steps: *steps, Size: *size, Timeout: *timeout},
	}
	in.Name, in.Central = scriptName(files[0], *configDir, *root)
	if *ref == "" {
		*ref = "refs/heads/" + *branch
		if *event == "tag" {
			*ref = "refs/tags/" + *branch
		}
	}
	if *source == "" {
		*source = *branch
	}
	ns, name, _ := strings.Cut(*slug, "/")
	in.Repo = drone.Repo{Namespace: ns, Name: name, Slug: *slug, Branch: *defBranch, Trusted: *trusted,
		Config: in.Name, Active: true, Private: true, Visibility: "private"}
	in.Build = drone.Build{Event: *event, Action: *action, Ref: *ref, After: *commit, Target: *branch,
		Source: *source, Fork: *slug, Message: *message, Params: params, Trigger: "@hook", Status: drone.StatusPending}
	in.Params = map[string]any{}
	for k, v := range inputs {
		var j any
		if json.Unmarshal([]byte(v), &j) == nil {
			in.Params[k] = j
		} else {
			in.Params[k] = v
		}
	}
	if d, err := tree.NewDir(*configDir, slog.New(slog.NewTextHandler(io.Discard, nil))); err == nil {
		in.Config = d
	}
	if r, err := os.OpenRoot(*root); err == nil {
		defer r.Close()
		in.RepoFiles = localRepo{r}
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout+time.Second)
	defer cancel()
	out, err := convert.Render(ctx, in)
	if err != nil {
		return err
	}
	_, err = io.WriteString(stdout, out)
	return err
}

// scriptName names the file as the service would see it: a path in the
// config repository (central), else a path in the checkout.
func scriptName(file, configDir, root string) (string, bool) {
	abs, _ := filepath.Abs(file)
	for _, c := range []struct {
		dir     string
		central bool
	}{{configDir, true}, {root, false}} {
		if d, err := filepath.Abs(c.dir); err == nil {
			if rel, err := filepath.Rel(d, abs); err == nil && !strings.HasPrefix(rel, "..") {
				return filepath.ToSlash(rel), c.central
			}
		}
	}
	return filepath.Base(file), false
}

// localRepo serves load("//…") from a checkout; os.Root keeps every read
// inside it.
type localRepo struct{ root *os.Root }

func (l localRepo) ReadFile(_ context.Context, _, _, p string) ([]byte, error) {
	f, err := l.root.Open(filepath.FromSlash(p))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, 16<<20))
}

// kvFlag collects repeated name=value flags.
type kvFlag map[string]string

func (k kvFlag) String() string { return "" }

func (k kvFlag) Set(s string) error {
	n, v, ok := strings.Cut(s, "=")
	if !ok || n == "" {
		return fmt.Errorf("%q is not name=value", s)
	}
	k[n] = v
	return nil
}
