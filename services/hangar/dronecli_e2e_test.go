package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hangar-ci/hangar/services/core/coretest"
	"github.com/hangar-ci/hangar/shared/sqldb"
)

// The drone CLI end-to-end test runs drone-cli v1.8.0 (built from the Go
// module proxy into bin/drone by scripts/tools) as a real process against
// `hangar all`, and checks every command on its output.

const (
	cliAdminToken = "cli-admin-token-0123456789abcdef"
	cliDBSecret   = "cli-database-secret-0123456789ab"
	// cliSecretValues must never appear outside the database, sealed.
	cliRepoSecret  = "repo-secret-VALUE-7f3a9c"
	cliRepoSecret2 = "repo-secret-UPDATED-b81e"
	cliOrgSecret   = "org-secret-VALUE-41d2aa"
	cliOrgSecret2  = "org-secret-UPDATED-99c0"
	cliEncrypted   = "encrypted-VALUE-5e77d0"
)

// droneBin is bin/drone at the module root, built by scripts/tools.
func droneBin(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for !fileExists(filepath.Join(dir, "go.mod")) {
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("module root not found")
		}
		dir = parent
	}
	bin := filepath.Join(dir, "bin", "drone")
	if !fileExists(bin) {
		t.Fatalf("%s is missing: run scripts/tools (make test does) to build drone-cli v1.8.0", bin)
	}
	return bin
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// droneCLI runs drone commands against one server with one token.
type droneCLI struct {
	t       *testing.T
	bin     string
	server  string
	token   string
	home    string
	outputs *bytes.Buffer // every output, scanned for secret values at the end
}

// with returns the CLI reporting to t (a subtest).
func (c *droneCLI) with(t *testing.T) *droneCLI {
	cp := *c
	cp.t = t
	return &cp
}

// run runs drone args and returns its output; a failing command fails the
// test with its output.
func (c *droneCLI) run(args ...string) string {
	c.t.Helper()
	out, err := c.try(args...)
	if err != nil {
		c.t.Fatalf("drone %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// try runs drone args and returns its output and error.
func (c *droneCLI) try(args ...string) (string, error) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin, args...)
	cmd.Env = []string{"DRONE_SERVER=" + c.server, "DRONE_TOKEN=" + c.token, "HOME=" + c.home, "NO_COLOR=1"}
	out, err := cmd.CombinedOutput()
	c.outputs.Write(out)
	return stripANSI(string(out)), err
}

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

func stripANSI(s string) string { return ansi.ReplaceAllString(s, "") }

// wantLines fails unless out holds every line of want, in order.
func wantLines(t *testing.T, cmd, out string, want ...string) {
	t.Helper()
	rest := out
	for _, w := range want {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Errorf("drone %s: output lacks %q (in order); got:\n%s", cmd, w, out)
			return
		}
		rest = rest[i+len(w):]
	}
}

func TestDroneCLI(t *testing.T) {
	t.Parallel()
	bin := droneBin(t)
	for _, d := range coreDialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			testDroneCLI(t, bin, d)
		})
	}
}

func testDroneCLI(t *testing.T, bin string, dialect sqldb.Dialect) {
	h := startCore(t, dialect, map[string]string{
		"DRONE_USER_CREATE":     "username:root,admin:true,machine:true,token:" + cliAdminToken,
		"DRONE_DATABASE_SECRET": cliDBSecret,
		"DRONE_CRON_INTERVAL":   "0",
	})
	cli := &droneCLI{t: t, bin: bin, server: h.URL, token: cliAdminToken, home: t.TempDir(), outputs: &bytes.Buffer{}}
	h.activate("github", "Codertocat/blocked", nil)
	// Manual and cron builds run at a branch's head, asked of the SCM.
	for branch, sha := range map[string]string{"master": corePushSHA, "develop": strings.Repeat("d", 40)} {
		h.GitHub.SetBranch("Codertocat/cli", branch, sha)
		h.GitHub.SetCommit("Codertocat/cli", sha, coretest.Commit{Message: "tip of " + branch, AuthorLogin: "octocat"})
	}

	t.Run("info", func(t *testing.T) {
		cli := cli.with(t)
		wantLines(t, "info", cli.run("info"), "User: root", "Email: ")
	})
	t.Run("repo", func(t *testing.T) {
		cli := cli.with(t)
		wantLines(t, "repo enable", cli.run("repo", "enable", "Codertocat/cli"), "Successfully activated repository Codertocat/cli")
		wantLines(t, "repo ls", cli.run("repo", "ls"), "Codertocat/blocked", "Codertocat/cli")
		wantLines(t, "repo sync", cli.run("repo", "sync"), "Codertocat/blocked", "Codertocat/cli")
		wantLines(t, "repo info", cli.run("repo", "info", "Codertocat/cli"),
			"Owner: Codertocat", "Repo: cli", "Config: .drone.yml", "Trusted: false")
		wantLines(t, "repo update", cli.run("repo", "update", "Codertocat/cli", "--trusted", "--config", ".ci.yml"),
			"Successfully updated repository Codertocat/cli")
		wantLines(t, "repo info", cli.run("repo", "info", "Codertocat/cli"), "Config: .ci.yml", "Trusted: true")
		wantLines(t, "repo chown", cli.run("repo", "chown", "Codertocat/cli"), "Successfully assumed ownership of repository Codertocat/cli")
		if out, err := cli.try("repo", "repair", "Codertocat/cli"); err == nil || !strings.Contains(out, "409") {
			t.Errorf("repo repair without any SCM token: got %v %q, want 409", err, out)
		}
		wantLines(t, "repo disable", cli.run("repo", "disable", "Codertocat/cli"), "Successfully removed repository Codertocat/cli")
		if out, err := cli.try("build", "create", "Codertocat/cli", "--branch", "master"); err == nil || !strings.Contains(out, "not active") {
			t.Errorf("build create on a disabled repository: got %v %q, want a 409 not active", err, out)
		}
		if out := cli.run("repo", "ls", "--active"); strings.Contains(out, "Codertocat/cli") {
			t.Errorf("repo ls --active lists the disabled repository:\n%s", out)
		}
		cli.run("repo", "enable", "Codertocat/cli")
		// GitLab nested groups: the namespace URL-encoded in the slug.
		h.activate("gitlab", "gitlabhq/sub/nested", nil)
		wantLines(t, "repo info nested", cli.run("repo", "info", "gitlabhq%2Fsub/nested"), "Owner: gitlabhq/sub", "Repo: nested")
		wantLines(t, "repo update nested", cli.run("repo", "update", "gitlabhq%2Fsub/nested", "--protected"), "Successfully updated repository gitlabhq%2Fsub/nested")
		wantLines(t, "repo info nested", cli.run("repo", "info", "gitlabhq%2Fsub/nested"), "Protected: true")
	})
	t.Run("build", func(t *testing.T) { cliBuilds(t, cli.with(t), h) })
	t.Run("queue", func(t *testing.T) {
		cli := cli.with(t)
		wantLines(t, "build queue", cli.run("build", "queue"), "Codertocat/cli#1", "Status: pending", "Event: custom", "Branch: master")
		if out := cli.run("build", "queue"); strings.Contains(out, "Codertocat/cli#3") {
			t.Errorf("build queue lists the killed build 3:\n%s", out)
		}
		wantLines(t, "queue ls", cli.run("queue", "ls"), "item #", "Status: pending", "OS: linux")
		cli.run("queue", "pause")
		if v := cliSetting(t, h, "queue_paused"); v != "true" {
			t.Errorf("after queue pause: stored flag %q, want true", v)
		}
		cli.run("queue", "resume")
		if v := cliSetting(t, h, "queue_paused"); v != "false" {
			t.Errorf("after queue resume: stored flag %q, want false", v)
		}
	})
	t.Run("user", func(t *testing.T) {
		cli := cli.with(t)
		wantLines(t, "user ls", cli.run("user", "ls"), "root")
		out := cli.run("user", "add", "alice")
		wantLines(t, "user add", out, "Successfully added user alice", "Generated account token ")
		tok := strings.TrimSpace(out[strings.LastIndex(out, "token ")+len("token "):])
		alice := &droneCLI{t: t, bin: bin, server: h.URL, token: tok, home: cli.home, outputs: cli.outputs}
		wantLines(t, "info as alice", alice.run("info"), "User: alice")
		if out, err := alice.try("user", "ls"); err == nil || !strings.Contains(out, "403") {
			t.Errorf("user ls as a non-admin: got %v %q, want 403", err, out)
		}
		wantLines(t, "user info", cli.run("user", "info", "alice"), "User: alice", "Admin: false", "Active: true", "Machine: false")
		wantLines(t, "user update", cli.run("user", "update", "alice", "--admin"), "Successfully updated user alice")
		wantLines(t, "user info", cli.run("user", "info", "alice"), "User: alice", "Admin: true")
		wantLines(t, "user ls", cli.run("user", "ls"), "alice", "root")
		wantLines(t, "user rm", cli.run("user", "rm", "alice"), "Successfully removed user alice")
		if out, err := alice.try("info"); err == nil || !strings.Contains(out, "401") {
			t.Errorf("info with a removed user's token: got %v %q, want 401", err, out)
		}
		if out := cli.run("user", "ls"); strings.Contains(out, "alice") {
			t.Errorf("user ls after rm still lists alice:\n%s", out)
		}
	})
	t.Run("secret", func(t *testing.T) { cliSecrets(t, cli.with(t), h) })
	t.Run("sign", func(t *testing.T) { cliSign(t, cli.with(t), h) })
	t.Run("encrypt", func(t *testing.T) { cliEncrypt(t, cli.with(t), h) })
	t.Run("cron", func(t *testing.T) { cliCron(t, cli.with(t), h) })

	// No secret value in any output, log line or webhook.
	events, _ := json.Marshal(h.Webhook.Events())
	for _, v := range []string{cliRepoSecret, cliRepoSecret2, cliOrgSecret, cliOrgSecret2, cliEncrypted} {
		for where, text := range map[string]string{"CLI output": cli.outputs.String(), "server log": h.Log.String(), "webhooks": string(events)} {
			if strings.Contains(text, v) {
				t.Errorf("secret value %q appears in the %s", v, where)
			}
		}
	}
}
