package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/drone/drone-go/drone"

	"github.com/hangar-ci/hangar/shared/envconf"
	"github.com/hangar-ci/hangar/shared/httpsig"
	"github.com/hangar-ci/hangar/shared/wire"
)

// tools are the subcommands that are not services.
var tools = map[string]func(context.Context, []string, envconf.Lookup, io.Writer, io.Writer) error{
	"call":    call,
	"convert": renderTool,
	"lint":    lintTool,
	"hook":    hookTool,
}

var mediaTypes = map[string]string{
	"config": wire.ConfigV1, "convert": wire.ConvertV1, "validate": wire.ValidateV1,
	"secret": wire.SecretV1, "registry": wire.RegistryV1, "webhook": wire.WebhookV1,
}

// call sends one request signed exactly as the Drone server signs it and
// prints the status and body, so an endpoint can be tried without Drone.
func call(ctx context.Context, args []string, lookup envconf.Lookup, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("call", flag.ContinueOnError)
	fs.SetOutput(stderr)
	secret := fs.String("secret", envconf.New(lookup).String("", "DRONE_SECRET"), "shared secret (default $DRONE_SECRET)")
	kind := fs.String("kind", "", "extension kind: config, convert, validate, secret, registry (default: the URL's last path element, else config)")
	slug := fs.String("repo", "octocat/hello-world", "repository namespace/name")
	branch := fs.String("branch", "main", "build target branch")
	event := fs.String("event", "push", "build event: push, pull_request, tag, cron, custom, promote")
	ref := fs.String("ref", "", "git ref (default refs/heads/<branch>)")
	after := fs.String("commit", "", "commit sha")
	source := fs.String("source", "", "pull request source branch")
	fork := fs.String("fork", "", "pull request source repository (default: the repository)")
	trusted := fs.Bool("trusted", false, "mark the repository trusted")
	configPath := fs.String("config-path", ".drone.yml", "repository config file")
	dataFile := fs.String("data", "", "config file whose content goes into config.data (convert, validate)")
	name := fs.String("name", "", "secret name (secret)")
	path := fs.String("path", "", "secret path (secret)")
	bodyFile := fs.String("body", "", "send this JSON file ('-' for stdin) as the body instead of building one")
	timeout := fs.Duration("timeout", time.Minute, "request timeout")
	asWoodpecker := fs.Bool("woodpecker", false, "send Woodpecker's {repo, pipeline} body signed as a Woodpecker server signs (RFC 9421, Ed25519) to a /woodpecker/{config,secret,registry} endpoint")
	keyFile := fs.String("key", envconf.New(lookup).String("", "HANGAR_WOODPECKER_PRIVATE_KEY_FILE"), "with -woodpecker: the Woodpecker server's private key file, hex as Woodpecker stores it or PEM (default $HANGAR_WOODPECKER_PRIVATE_KEY_FILE)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: hangar call [flags] URL")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("call takes exactly one URL")
	}
	url := fs.Arg(0)
	if *asWoodpecker {
		w := woodpeckerCall{key: *keyFile, slug: *slug, branch: *branch, event: *event, ref: *ref, commit: *after,
			source: *source, fork: *fork != "" && *fork != *slug, body: *bodyFile}
		return w.send(ctx, url, *timeout, stdout)
	}
	if *kind == "" {
		*kind = "config"
		if i := strings.LastIndexByte(strings.TrimRight(url, "/"), '/'); i >= 0 {
			if _, ok := mediaTypes[url[i+1:]]; ok {
				*kind = url[i+1:]
			}
		}
	}
	accept, ok := mediaTypes[*kind]
	if !ok {
		return fmt.Errorf("-kind %q: not one of config, convert, validate, secret, registry, webhook", *kind)
	}
	var body []byte
	var err error
	switch *bodyFile {
	case "":
		ns, nm, _ := strings.Cut(*slug, "/")
		if *ref == "" {
			*ref = "refs/heads/" + *branch
		}
		if *source == "" {
			*source = *branch
		}
		if *fork == "" {
			*fork = *slug
		}
		repo := drone.Repo{Namespace: ns, Name: nm, Slug: *slug, Trusted: *trusted, Config: *configPath, Active: true, Branch: "main", Visibility: "private", Private: true}
		build := drone.Build{Event: *event, Ref: *ref, After: *after, Target: *branch, Source: *source, Fork: *fork, Status: drone.StatusPending, Trigger: "@hook"}
		var data []byte
		if *dataFile != "" {
			if data, err = os.ReadFile(*dataFile); err != nil {
				return err
			}
		}
		cfg := drone.Config{Data: string(data)}
		var req any
		switch *kind {
		case "config", "registry":
			req = struct {
				Repo  drone.Repo  `json:"repo"`
				Build drone.Build `json:"build"`
			}{repo, build}
		case "convert", "validate":
			req = struct {
				Repo   drone.Repo   `json:"repo"`
				Build  drone.Build  `json:"build"`
				Config drone.Config `json:"config"`
			}{repo, build, cfg}
		case "secret":
			req = struct {
				Name  string      `json:"name"`
				Path  string      `json:"path"`
				Repo  drone.Repo  `json:"repo"`
				Build drone.Build `json:"build"`
			}{*name, *path, repo, build}
		default:
			return fmt.Errorf("-kind %s needs -body", *kind)
		}
		body, err = json.Marshal(req)
	case "-":
		body, err = io.ReadAll(os.Stdin)
	default:
		body, err = os.ReadFile(*bodyFile)
	}
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("Accept-Encoding", "identity")
	req.Header.Set("Content-Type", "application/json")
	if err := httpsig.Sign(req, body, *secret, httpsig.ExtensionHeaders, time.Now()); err != nil {
		return fmt.Errorf("signing: %w (set DRONE_SECRET or -secret)", err)
	}
	return send(req, stdout)
}

// send sends req and prints the status and the answer; an answer above
// 299 is also the command's error.
func send(req *http.Request, stdout io.Writer) error {
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, res.Proto, res.Status)
	if len(bytes.TrimSpace(out)) > 0 {
		printBody(stdout, out)
	}
	if res.StatusCode > 299 {
		return fmt.Errorf("%s answered %s", req.URL, res.Status)
	}
	return nil
}

// printBody prints a config answer's pipeline as text and any other JSON
// indented.
func printBody(w io.Writer, b []byte) {
	var cfg struct {
		Data *string `json:"data"`
		Kind string  `json:"kind"`
	}
	if json.Unmarshal(b, &cfg) == nil && cfg.Data != nil {
		fmt.Fprintf(w, "kind: %s\n---\n%s\n", cfg.Kind, strings.TrimRight(*cfg.Data, "\n"))
		return
	}
	var buf bytes.Buffer
	if json.Indent(&buf, b, "", "  ") == nil {
		fmt.Fprintln(w, buf.String())
		return
	}
	w.Write(b)
}
