package core

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/shared/httperr"
)

// badge is GET /api/badges/{owner}/{name}/status.svg: the status of the
// newest build of ?ref= (or ?branch=, default the repository's branch).
// Like Drone it needs no login; an unknown repository or ref shows "none".
func (s *service) badge(w http.ResponseWriter, r *http.Request) {
	label := "none"
	if repo, err := s.lookupRepo(r); err == nil {
		ref := r.URL.Query().Get("ref")
		if ref == "" {
			branch := r.URL.Query().Get("branch")
			if branch == "" {
				branch = repo.Branch
			}
			ref = "refs/heads/" + branch
		}
		if b, err := s.db.LatestBuild(r.Context(), repo.ID, ref); err == nil {
			label = badgeLabel(b.Status)
		}
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "no-cache, no-store, max-age=0, must-revalidate")
	fmt.Fprint(w, badgeSVG(label))
}

func badgeLabel(status string) string {
	switch status {
	case model.StatusPassing:
		return "passing"
	case model.StatusFailing:
		return "failing"
	case model.StatusError, model.StatusKilled, model.StatusDeclined:
		return "error"
	case model.StatusPending, model.StatusRunning, model.StatusWaiting, model.StatusBlocked:
		return "started"
	}
	return "none"
}

var badgeColours = map[string]string{"passing": "#4c1", "failing": "#e05d44", "error": "#e05d44", "started": "#dfb317", "none": "#9f9f9f"}

// badgeSVG draws a shields-style "build | <label>" badge.
func badgeSVG(label string) string {
	return fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" width="90" height="20" role="img" aria-label="build: %[1]s">`+
		`<rect width="37" height="20" fill="#555"/><rect x="37" width="53" height="20" fill="%[2]s"/>`+
		`<g fill="#fff" text-anchor="middle" font-family="Verdana,sans-serif" font-size="11">`+
		`<text x="18.5" y="14">build</text><text x="63.5" y="14">%[1]s</text></g></svg>`, label, badgeColours[label])
}

// ccProject is one project of a CCMenu (cc.xml) feed.
type ccProject struct {
	XMLName         xml.Name `xml:"Project"`
	Name            string   `xml:"name,attr"`
	Activity        string   `xml:"activity,attr"`
	LastBuildStatus string   `xml:"lastBuildStatus,attr"`
	LastBuildLabel  string   `xml:"lastBuildLabel,attr"`
	LastBuildTime   string   `xml:"lastBuildTime,attr"`
	WebURL          string   `xml:"webUrl,attr"`
}

// ccMenu is GET /api/badges/{owner}/{name}/cc.xml, the CCMenu feed of the
// newest build.
func (s *service) ccMenu(w http.ResponseWriter, r *http.Request) {
	repo, _ := s.findRepo(r)
	b, err := s.db.LatestBuild(r.Context(), repo.ID, "")
	if err != nil {
		httperr.Write(w, r, storeError(err, "build"))
		return
	}
	p := ccProject{Name: repo.Slug, Activity: "Sleeping", LastBuildStatus: "Unknown", LastBuildLabel: strconv.FormatInt(b.Number, 10),
		LastBuildTime: time.Unix(b.Created, 0).UTC().Format(time.RFC3339),
		WebURL:        fmt.Sprintf("%s://%s/%s/%d", s.opts.ServerProto, s.opts.ServerHost, repo.Slug, b.Number)}
	switch b.Status {
	case model.StatusPending, model.StatusRunning, model.StatusBlocked, model.StatusWaiting:
		p.Activity = "Building"
	case model.StatusPassing:
		p.LastBuildStatus = "Success"
	case model.StatusFailing:
		p.LastBuildStatus = "Failure"
	case model.StatusError, model.StatusKilled:
		p.LastBuildStatus = "Exception"
	}
	out, _ := xml.Marshal(struct {
		XMLName  xml.Name `xml:"Projects"`
		Projects []ccProject
	}{Projects: []ccProject{p}})
	w.Header().Set("Content-Type", "application/xml")
	w.Write(append([]byte(xml.Header), out...))
}
