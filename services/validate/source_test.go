package validate

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/drone/drone-go/drone"
	"github.com/drone/drone-go/plugin/validator"

	"github.com/hangar-ci/hangar/shared/httpsig"
)

func readyz(t *testing.T, f *fixture) (int, string) {
	t.Helper()
	res, err := http.Get(f.url + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestPolicyReloadKeepsLastGood(t *testing.T) {
	t.Parallel()
	f := start(t, "rules:\n- id: no-privileged\n  kind: privileged\n")
	priv := goodYAML + "  privileged: true\n"
	repo := repoOf("infra/ci", true)
	if err := f.validate(t, priv, pushBuild(), repo); err == nil {
		t.Fatal("got valid, want the privileged rule to deny")
	}
	if code, body := readyz(t, f); code != http.StatusOK {
		t.Fatalf("readyz = %d %s, want 200", code, body)
	}

	// A broken edit: the last good policy still applies, readiness says so.
	f.writePolicy(t, "rules:\n- id: no-privileged\n  kind: privilegd\n")
	if err := f.validate(t, priv, pushBuild(), repo); err == nil {
		t.Fatal("got valid with a broken policy, want the last good one to deny")
	}
	code, body := readyz(t, f)
	if code != http.StatusServiceUnavailable || !strings.Contains(body, `kind \"privilegd\" must be one of`) && !strings.Contains(body, `kind "privilegd" must be one of`) {
		t.Errorf("readyz = %d %s, want 503 naming the broken kind", code, body)
	}
	if !strings.Contains(f.logs.String(), "policy broken, keeping the last good one") {
		t.Errorf("log does not report the broken policy:\n%s", f.logs.String())
	}

	// A good edit replaces it.
	f.writePolicy(t, "rules:\n- id: infra-privileged\n  kind: privileged\n  allow_repos: [infra/*]\n")
	if err := f.validate(t, priv, pushBuild(), repo); err != nil {
		t.Fatalf("got %v, want valid under the new policy", err)
	}
	if code, body := readyz(t, f); code != http.StatusOK {
		t.Errorf("readyz = %d %s, want 200 again", code, body)
	}
}

func TestBrokenPolicyFromStartFailsClosed(t *testing.T) {
	t.Parallel()
	f := start(t, "rules: {oops")
	err := f.validate(t, goodYAML, pushBuild(), repoOf("a/b", false))
	var de *drone.Error
	if !errors.As(err, &de) || de.Code != http.StatusServiceUnavailable || !strings.Contains(de.Message, "no valid policy") {
		t.Fatalf("got %v, want a 503 saying there is no valid policy", err)
	}
	if code, _ := readyz(t, f); code != http.StatusServiceUnavailable {
		t.Errorf("readyz = %d, want 503", code)
	}
}

func TestNoPolicyFileLintsOnly(t *testing.T) {
	t.Parallel()
	f := start(t, "")
	if err := f.validate(t, goodYAML, pushBuild(), repoOf("a/b", false)); err != nil {
		t.Fatalf("got %v, want valid", err)
	}
	// Drone's trusted-only rule still applies through the resource lint.
	err := f.validate(t, goodYAML+"  privileged: true\n", pushBuild(), repoOf("a/b", false))
	if err == nil || !strings.Contains(err.Error(), "untrusted repositories cannot enable privileged mode") {
		t.Fatalf("got %v, want the trusted-only lint rule", err)
	}
	if err := f.validate(t, goodYAML+"  privileged: true\n", pushBuild(), repoOf("a/b", true)); err != nil {
		t.Fatalf("got %v, want a trusted repository to pass", err)
	}
}

// post sends body to the service signed as Drone signs it.
func post(t *testing.T, f *fixture, body []byte, secret string, date time.Time) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.url+"/", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", validator.V1)
	req.Header.Set("Accept-Encoding", "identity")
	req.Header.Set("Content-Type", "application/json")
	if err := httpsig.Sign(req, body, secret, httpsig.ExtensionHeaders, date); err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestSignedRequests(t *testing.T) {
	t.Parallel()
	f := start(t, e2ePolicy)
	good := []byte(`{"build":{"event":"push","target":"main"},"repo":{"slug":"a/b"},"config":{"data":"kind: pipeline\nsteps:\n- name: a\n  image: golang:1\n"}}`)
	tests := []struct {
		name   string
		body   []byte
		secret string
		date   time.Time
		status int
		want   string
	}{
		{"valid", good, testSecret, time.Now(), http.StatusNoContent, ""},
		{"wrong secret", good, "another-secret-of-sufficient-size", time.Now(), http.StatusUnauthorized, ""},
		{"stale date", good, testSecret, time.Now().Add(-time.Hour), http.StatusUnauthorized, ""},
		{"bad json", []byte(`{"build":`), testSecret, time.Now(), http.StatusBadRequest, "invalid JSON body"},
		{"wrong type", []byte(`{"build":{"event":3}}`), testSecret, time.Now(), http.StatusBadRequest, "invalid JSON body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, body := post(t, f, tt.body, tt.secret, tt.date)
			if code != tt.status || !strings.Contains(body, tt.want) {
				t.Errorf("got %d %q, want %d containing %q", code, body, tt.status, tt.want)
			}
		})
	}
}
