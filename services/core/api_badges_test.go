package core

import (
	"context"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/hangar-ci/hangar/services/core/model"
)

func TestBadges(t *testing.T) {
	t.Parallel()
	srv, st := newAPI(t)
	ctx := context.Background()
	call(t, srv, "POST", "/api/repos", "tok", `{"namespace":"octo","name":"hello","scm":"github","default_branch":"main"}`)
	repo, _ := st.FindRepoSlug(ctx, "github", "octo/hello")
	for _, b := range []struct{ ref, status string }{
		{"refs/heads/main", model.StatusFailing},
		{"refs/heads/main", model.StatusPassing},
		{"refs/heads/dev", model.StatusRunning},
		{"refs/tags/v1", model.StatusError},
	} {
		if err := st.CreateBuild(ctx, &model.Build{RepoID: repo.ID, Ref: b.ref, Status: b.status, Event: model.EventPush, Created: 1_800_000_000}, nil); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct{ path, want string }{
		{"/api/badges/octo/hello/status.svg", "passing"},
		{"/api/badges/octo/hello/status.svg?branch=dev", "started"},
		{"/api/badges/octo/hello/status.svg?ref=refs/tags/v1", "error"},
		{"/api/badges/octo/hello/status.svg?branch=nowhere", "none"},
		{"/api/badges/octo/missing/status.svg", "none"},
	}
	for _, tt := range tests {
		code, body := call(t, srv, "GET", tt.path, "", "")
		if code != 200 || !strings.Contains(body, `aria-label="build: `+tt.want+`"`) {
			t.Errorf("%s: got %d %q, want the %s badge", tt.path, code, body, tt.want)
		}
	}
	if code, _ := call(t, srv, "GET", "/api/badges/octo/hello/cc.xml", "", ""); code != 401 {
		t.Errorf("cc.xml of a private repository, anonymous: got %d, want 401", code)
	}
	code, body := call(t, srv, "GET", "/api/badges/octo/hello/cc.xml", "tok", "")
	var feed struct {
		Projects []struct {
			Name     string `xml:"name,attr"`
			Activity string `xml:"activity,attr"`
			Status   string `xml:"lastBuildStatus,attr"`
			Label    string `xml:"lastBuildLabel,attr"`
		} `xml:"Project"`
	}
	if err := xml.Unmarshal([]byte(body), &feed); code != 200 || err != nil || len(feed.Projects) != 1 {
		t.Fatalf("cc.xml: got %d %v %q", code, err, body)
	}
	if p := feed.Projects[0]; p.Name != "octo/hello" || p.Label != "4" || p.Status != "Exception" || p.Activity != "Sleeping" {
		t.Errorf("cc.xml project: got %+v, want octo/hello build 4, Exception, Sleeping", p)
	}
}
