package webhook

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"time"

	"github.com/hangar-ci/hangar/shared/httperr"
	"github.com/hangar-ci/hangar/shared/wire"
)

// Event is one stored webhook event, as received or synthesised.
type Event struct {
	ID     int64  `json:"id"`
	Key    string `json:"key"`
	Event  string `json:"event"`
	Action string `json:"action"`
	Repo   string `json:"repo,omitempty"`
	// BuildID and Status describe the build of a build event.
	BuildID int64  `json:"build_id,omitempty"`
	Status  string `json:"status,omitempty"`
	// Group orders deliveries: a sink gets a group's events in the order
	// they were stored (one group per build).
	Group     string    `json:"-"`
	Synthetic bool      `json:"synthetic,omitempty"`
	Body      []byte    `json:"-"`
	Received  time.Time `json:"received"`
}

// terminal lists the build statuses after which a build never changes
// again; the first event in one of them yields build:completed.
var terminal = map[string]bool{"success": true, "failure": true, "error": true, "killed": true}

var nameRE = regexp.MustCompile(`^[a-z][a-z_]{0,31}$`)

// fromPayload is the one mapper from the wire payload to stored events: the
// received event and, when a build first reaches a terminal status, the
// build:completed event Drone documents but never sends. header is the
// X-Drone-Event value, body the exact bytes received.
func fromPayload(p wire.WebhookPayload, header string, body []byte, now time.Time) ([]Event, error) {
	if header != "" && header != p.Event {
		return nil, httperr.New(httperr.Invalid, "X-Drone-Event %q does not match the body's event %q", trim(header), trim(p.Event))
	}
	if !nameRE.MatchString(p.Event) {
		return nil, httperr.New(httperr.Invalid, "event %q is not an event name such as build, repo or user", trim(p.Event))
	}
	if !nameRE.MatchString(p.Action) {
		return nil, httperr.New(httperr.Invalid, "action %q is not an action name such as created or updated", trim(p.Action))
	}
	e := Event{Event: p.Event, Action: p.Action, Body: body, Received: now}
	if p.Repo != nil {
		e.Repo = slug(p.Repo)
	}
	switch p.Event {
	case wire.EventBuild:
		if p.Build == nil || p.Build.ID <= 0 {
			return nil, httperr.New(httperr.Invalid, "a build event needs a build with an id")
		}
		if p.Action == wire.ActionCompleted {
			return nil, httperr.New(httperr.Invalid, "build:completed is synthesised by Hangar, not accepted from a sender")
		}
		b := p.Build
		e.BuildID, e.Status = b.ID, b.Status
		e.Key = fmt.Sprintf("build:%s:%d:%s:%d", p.Action, b.ID, b.Status, b.Version)
		e.Group = fmt.Sprintf("build:%d", b.ID)
	case wire.EventRepo:
		if p.Repo == nil || p.Repo.ID <= 0 {
			return nil, httperr.New(httperr.Invalid, "a repo event needs a repo with an id")
		}
		e.Key = fmt.Sprintf("repo:%s:%d:%d", p.Action, p.Repo.ID, p.Repo.Version)
		e.Group = fmt.Sprintf("repo:%d", p.Repo.ID)
	case wire.EventUser:
		if p.User == nil || p.User.ID <= 0 {
			return nil, httperr.New(httperr.Invalid, "a user event needs a user with an id")
		}
		e.Key = fmt.Sprintf("user:%s:%d:%d", p.Action, p.User.ID, p.User.Updated)
		e.Group = fmt.Sprintf("user:%d", p.User.ID)
	default:
		// An event a later Drone adds: identical bodies are duplicates.
		sum := sha256.Sum256(body)
		e.Key = fmt.Sprintf("%s:%s:%s", p.Event, p.Action, hex.EncodeToString(sum[:16]))
		e.Group = e.Key
	}
	out := []Event{e}
	if p.Event == wire.EventBuild && terminal[p.Build.Status] {
		c, err := completed(p, e)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// completed synthesises build:completed from the event that carried the
// terminal status. Its key names only the build, so it is stored once
// however many terminal events follow.
func completed(p wire.WebhookPayload, from Event) (Event, error) {
	p.Action = wire.ActionCompleted
	body, err := json.Marshal(p)
	if err != nil {
		return Event{}, httperr.Wrap(httperr.Internal, err, "encoding build:completed")
	}
	c := from
	c.Action, c.Body, c.Synthetic = wire.ActionCompleted, body, true
	c.Key = fmt.Sprintf("build:%s:%d", wire.ActionCompleted, p.Build.ID)
	return c, nil
}

func slug(r *wire.Repository) string {
	if r.Slug != "" {
		return r.Slug
	}
	if r.Namespace != "" {
		return r.Namespace + "/" + r.Name
	}
	return r.Name
}

func trim(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
