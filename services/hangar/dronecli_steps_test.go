package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/services/core/secrets"
	"github.com/hangar-ci/hangar/services/core/store"
	"github.com/hangar-ci/hangar/shared/pipeline"
	"github.com/hangar-ci/hangar/shared/wire"
)

// cliBuilds drives builds with the CLI: create, list with filters, info,
// last, restart, stop, approve, decline, promote and rollback.
func cliBuilds(t *testing.T, cli *droneCLI, h *coreHangar) {
	wantLines(t, "build create", cli.run("build", "create", "Codertocat/cli", "--branch", "master", "--param", "SIZE=large"),
		"Number: 1", "Status: pending", "Event: custom", "Branch: master", "Ref: refs/heads/master")
	wantLines(t, "build create", cli.run("build", "create", "Codertocat/cli", "--branch", "develop"), "Number: 2", "Branch: develop")
	wantLines(t, "build ls", cli.run("build", "ls", "Codertocat/cli"), "Build #2", "Branch: develop", "Build #1", "Branch: master")
	if out := cli.run("build", "ls", "Codertocat/cli", "--branch", "master"); !strings.Contains(out, "Build #1") || strings.Contains(out, "Build #2") {
		t.Errorf("build ls --branch master: want build 1 alone, got:\n%s", out)
	}
	if out := cli.run("build", "ls", "Codertocat/cli", "--event", "push"); strings.Contains(out, "Build #") {
		t.Errorf("build ls --event push: want none, got:\n%s", out)
	}
	wantLines(t, "build ls --status", cli.run("build", "ls", "Codertocat/cli", "--status", "pending", "--limit", "1"), "Build #2")
	wantLines(t, "build info", cli.run("build", "info", "Codertocat/cli", "1"), "Number: 1", "Status: pending", "Event: custom", "Branch: master")
	wantLines(t, "build last", cli.run("build", "last", "Codertocat/cli", "--branch", "develop"), "Number: 2", "Branch: develop")
	wantLines(t, "build last", cli.run("build", "last", "Codertocat/cli"), "Number: 1", "Branch: master")
	wantLines(t, "build restart", cli.run("build", "restart", "Codertocat/cli", "1"), "Number: 3", "Event: custom", "Branch: master")
	wantLines(t, "build stop", cli.run("build", "stop", "Codertocat/cli", "3"), "Stopping build Codertocat/cli#3")
	wantLines(t, "build info", cli.run("build", "info", "Codertocat/cli", "3"), "Number: 3", "Status: killed")
	wantLines(t, "build promote", cli.run("build", "promote", "Codertocat/cli", "1", "production"), "Number: 4", "Event: promote")
	cli.run("build", "rollback", "Codertocat/cli", "1", "production")
	b := h.build("Codertocat/cli", 5)
	if b.Event != "rollback" || b.Deploy != "production" || len(b.Stages) != 1 || b.Stages[0].Name != "undo" {
		t.Errorf("build rollback: got %s to %q with %v, want rollback to production with stage undo", b.Event, b.Deploy, coreStagesOf(&b))
	}
	if b := h.build("Codertocat/cli", 1); b.Params["SIZE"] != "large" {
		t.Errorf("build create --param: got params %v, want SIZE=large", b.Params)
	}

	// The server filters too (the CLI filters one page on its side).
	var list []wire.Build
	if code := h.api(http.MethodGet, "/repos/Codertocat/cli/builds?branch=master&event=custom&per_page=1", nil, &list); code != http.StatusOK || len(list) != 1 || list[0].Number != 3 {
		t.Errorf("?branch=master&event=custom&per_page=1: got %d %v, want build 3", code, list)
	}
	if code := h.api(http.MethodGet, "/repos/Codertocat/cli/builds?status=killed", nil, &list); code != http.StatusOK || len(list) != 1 || list[0].Number != 3 {
		t.Errorf("?status=killed: got %d %v, want build 3", code, list)
	}

	// Approve and decline on a repository whose policy blocks its builds.
	for range 2 {
		if res := h.postGitHub("push", corePayload(t, "github/push.json", coreGitHubRepo("blocked")), coreHookKey); res.Build == nil || res.Build.Stages[0].Status != "blocked" {
			t.Fatalf("push to blocked: got %d %s, want a blocked build", res.Status, res.Body)
		}
	}
	if code := h.api(http.MethodGet, "/repos/Codertocat/blocked/builds?author=Codertocat", nil, &list); code != http.StatusOK || len(list) != 2 {
		t.Errorf("?author=Codertocat: got %d with %d builds, want 2", code, len(list))
	}
	if code := h.api(http.MethodGet, "/repos/Codertocat/blocked/builds?author=someone", nil, &list); code != http.StatusOK || len(list) != 0 {
		t.Errorf("?author=someone: got %d with %d builds, want 0", code, len(list))
	}
	wantLines(t, "build approve", cli.run("build", "approve", "Codertocat/blocked", "1", "1"), "Approving build Codertocat/blocked#1")
	if b := h.build("Codertocat/blocked", 1); b.Stages[0].Status != "pending" {
		t.Errorf("after approve: stage 1 is %s, want pending", b.Stages[0].Status)
	}
	wantLines(t, "build decline", cli.run("build", "decline", "Codertocat/blocked", "2", "1"), "Declining build Codertocat/blocked#2")
	wantLines(t, "build info", cli.run("build", "info", "Codertocat/blocked", "2"), "Number: 2", "Status: declined")
	if out, err := cli.try("build", "approve", "Codertocat/blocked", "1", "1"); err == nil || !strings.Contains(out, "409") {
		t.Errorf("approving twice: got %v %q, want 409", err, out)
	}
}

// cliSecrets manages repository and organisation secrets.
func cliSecrets(t *testing.T, cli *droneCLI, h *coreHangar) {
	cli.run("secret", "add", "--repository", "Codertocat/cli", "--name", "password", "--data", cliRepoSecret)
	cli.run("secret", "add", "--repository", "Codertocat/cli", "--name", "token", "--data", cliRepoSecret, "--allow-pull-request")
	wantLines(t, "secret ls", cli.run("secret", "ls", "Codertocat/cli"), "password", "Pull Request Read:  false", "token", "Pull Request Read:  true")
	wantLines(t, "secret info", cli.run("secret", "info", "--repository", "Codertocat/cli", "--name", "token"), "token", "Pull Request Read:  true")
	cliSealed(t, h, cliRepoSecret)
	cli.run("secret", "update", "--repository", "Codertocat/cli", "--name", "password", "--data", cliRepoSecret2, "--allow-pull-request")
	wantLines(t, "secret info", cli.run("secret", "info", "--repository", "Codertocat/cli", "--name", "password"), "password", "Pull Request Read:  true")
	if out, err := cli.try("secret", "add", "--repository", "Codertocat/cli", "--name", "password", "--data", cliRepoSecret); err == nil || !strings.Contains(out, "409") {
		t.Errorf("adding a secret twice: got %v %q, want 409", err, out)
	}
	cli.run("secret", "rm", "--repository", "Codertocat/cli", "--name", "token")
	if out := cli.run("secret", "ls", "Codertocat/cli"); strings.Contains(out, "token") || !strings.Contains(out, "password") {
		t.Errorf("secret ls after rm: want password alone, got:\n%s", out)
	}

	cli.run("orgsecret", "add", "Codertocat", "docker_password", cliOrgSecret)
	wantLines(t, "orgsecret ls", cli.run("orgsecret", "ls"), "docker_password", "Organization:       Codertocat")
	wantLines(t, "orgsecret ls --filter", cli.run("orgsecret", "ls", "--filter", "Codertocat"), "docker_password")
	wantLines(t, "orgsecret info", cli.run("orgsecret", "info", "Codertocat", "docker_password"), "docker_password", "Pull Request Read:  false")
	cliSealed(t, h, cliOrgSecret)
	cli.run("orgsecret", "update", "Codertocat", "docker_password", cliOrgSecret2, "--allow-pull-request")
	wantLines(t, "orgsecret info", cli.run("orgsecret", "info", "Codertocat", "docker_password"), "docker_password", "Pull Request Read:  true")
	cli.run("orgsecret", "rm", "Codertocat", "docker_password")
	if out := cli.run("orgsecret", "ls"); strings.Contains(out, "docker_password") {
		t.Errorf("orgsecret ls after rm still lists it:\n%s", out)
	}
}

// cliCron manages cron jobs and runs one.
func cliCron(t *testing.T, cli *droneCLI, h *coreHangar) {
	cli.run("cron", "add", "Codertocat/cli", "nightly", "0 0 1 * * *", "--branch", "master")
	if out, err := cli.try("cron", "add", "Codertocat/cli", "bad", "every day"); err == nil || !strings.Contains(out, "400") {
		t.Errorf("cron add with a bad expression: got %v %q, want 400", err, out)
	}
	wantLines(t, "cron ls", cli.run("cron", "ls", "Codertocat/cli"), "nightly", "Expr: 0 0 1 * * *", "Next: ")
	wantLines(t, "cron info", cli.run("cron", "info", "Codertocat/cli", "nightly"), "nightly", "Expr: 0 0 1 * * *")
	cli.run("cron", "exec", "Codertocat/cli", "nightly")
	out := cli.run("build", "last", "Codertocat/cli", "--format", "{{ .Number }}")
	wantLines(t, "build last after cron exec", cli.run("build", "last", "Codertocat/cli"), "Event: cron", "Branch: master")
	// The trigger's cron condition: the nightly-only pipeline runs for this job.
	n, _ := strconv.ParseInt(strings.TrimSpace(out), 10, 64)
	b := h.build("Codertocat/cli", n)
	if b.Cron != "nightly" || len(b.Stages) != 2 || b.Stages[1].Name != "nightly-only" || b.After != corePushSHA {
		t.Errorf("cron build: got cron %q at %s with %v, want nightly at master's head with build and nightly-only", b.Cron, b.After, coreStagesOf(&b))
	}
	cli.run("cron", "rm", "Codertocat/cli", "nightly")
	if out := cli.run("cron", "ls", "Codertocat/cli"); strings.Contains(out, "nightly") {
		t.Errorf("cron ls after rm still lists it:\n%s", out)
	}
}

// cliSetting reads a server setting straight from the database.
func cliSetting(t *testing.T, h *coreHangar, name string) string {
	t.Helper()
	var v string
	if err := h.DB(t).QueryRowContext(context.Background(), h.DB(t).Rebind("SELECT value FROM core_settings WHERE name = ?"), name).Scan(&v); err != nil {
		t.Fatalf("setting %s: %v", name, err)
	}
	return v
}

// cliSealed checks the raw secret column: every value sealed, none equal
// to or holding the plain value.
func cliSealed(t *testing.T, h *coreHangar, plain string) {
	t.Helper()
	rows, err := h.DB(t).QueryContext(context.Background(), "SELECT name, data_sealed FROM core_secrets")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var name, data string
		if err := rows.Scan(&name, &data); err != nil {
			t.Fatal(err)
		}
		n++
		if data == "" || strings.Contains(data, plain) {
			t.Errorf("secret %s is stored as %q: want it sealed", name, data)
		}
	}
	if n == 0 {
		t.Error("no secret in the database")
	}
}

// cliSign signs a pipeline file with drone sign --save; the saved file
// verifies with the repository's secret, as the trigger checks protected
// repositories.
func cliSign(t *testing.T, cli *droneCLI, h *coreHangar) {
	file := filepath.Join(t.TempDir(), ".drone.yml")
	yaml := "kind: pipeline\ntype: docker\nname: default\nsteps:\n- name: test\n  image: alpine\n  commands: [echo hi]\n"
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	hmac := strings.TrimSpace(cli.run("sign", "Codertocat/cli", file))
	if len(hmac) != 64 {
		t.Fatalf("drone sign: got %q, want a hex HMAC", hmac)
	}
	cli.run("sign", "Codertocat/cli", file, "--save")
	saved, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var secret string
	if err := h.DB(t).QueryRowContext(context.Background(), h.DB(t).Rebind("SELECT secret FROM core_repos WHERE slug = ?"), "Codertocat/cli").Scan(&secret); err != nil {
		t.Fatal(err)
	}
	m, err := pipeline.Parse(saved)
	if err != nil || !strings.Contains(string(saved), hmac) || !m.Verify([]byte(secret)) {
		t.Errorf("signed file does not verify with the repository secret (%v):\n%s", err, saved)
	}
}

// cliEncrypt encrypts a value with drone encrypt; a pipeline file carrying
// it opens, for this repository, to the value the runner is to get.
func cliEncrypt(t *testing.T, cli *droneCLI, h *coreHangar) {
	data := strings.TrimSpace(cli.run("encrypt", "Codertocat/cli", cliEncrypted))
	if data == "" || strings.Contains(data, cliEncrypted) {
		t.Fatalf("drone encrypt: got %q", data)
	}
	m, err := pipeline.Parse([]byte("kind: pipeline\nname: p\nsteps:\n- name: s\n  image: alpine\n---\nkind: secret\nname: token\ndata: " + data + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.New(context.Background(), h.DB(t))
	if err != nil {
		t.Fatal(err)
	}
	repo, err := st.FindRepoSlug(context.Background(), "github", "Codertocat/cli")
	if err != nil {
		t.Fatal(err)
	}
	got, err := secrets.Encrypted(repo, &model.Build{Event: "push"}, m)
	if err != nil || len(got) != 1 || got[0].Name != "token" || got[0].Data != cliEncrypted {
		t.Errorf("the encrypted secret does not open to its value: %v", err)
	}
}
