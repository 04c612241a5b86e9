package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/hangar-ci/hangar/shared/envconf"
	"github.com/hangar-ci/hangar/shared/scmhook"
)

// hookTool posts a recorded GitHub or GitLab webhook payload to the core
// server, signed as GitHub (X-Hub-Signature-256) or GitLab (X-Gitlab-Token)
// sends it, and prints the answer: replaying real pushes without an SCM.
func hookTool(ctx context.Context, args []string, lookup envconf.Lookup, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hook", flag.ContinueOnError)
	fs.SetOutput(stderr)
	secret := fs.String("secret", envconf.New(lookup).String("", "HANGAR_HOOK_SECRET"), "the repository's webhook secret (default $HANGAR_HOOK_SECRET)")
	provider := fs.String("scm", "github", "github or gitlab")
	event := fs.String("event", "", "event header: GitHub push, pull_request, …; GitLab Push Hook, Tag Push Hook, Merge Request Hook (default push / Push Hook)")
	timeout := fs.Duration("timeout", time.Minute, "request timeout")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: hangar hook [flags] PAYLOAD.json URL   (URL e.g. http://localhost:3000/core/hook)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return fmt.Errorf("hook takes a payload file and a URL")
	}
	body, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, fs.Arg(1), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	switch *provider {
	case "github":
		if *event == "" {
			*event = "push"
		}
		req.Header.Set("X-GitHub-Event", *event)
		if *secret != "" {
			req.Header.Set("X-Hub-Signature-256", scmhook.SignGitHub(body, *secret))
		}
	case "gitlab":
		if *event == "" {
			*event = "Push Hook"
		}
		req.Header.Set("X-Gitlab-Event", *event)
		if *secret != "" {
			req.Header.Set("X-Gitlab-Token", *secret)
		}
	default:
		return fmt.Errorf("-scm %q: not github or gitlab", *provider)
	}
	return send(req, stdout)
}
