package webhook

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/hangar-ci/hangar/shared/wire"
)

// slackMessage is the body of a Slack-style incoming webhook. Mattermost
// and Rocket.Chat accept the same "text" field.
type slackMessage struct {
	Text string `json:"text"`
}

// statusText says what a build status means, with the emoji that goes
// before it.
var statusText = map[string][2]string{
	"success":                 {":white_check_mark:", "succeeded"},
	"failure":                 {":x:", "failed"},
	"error":                   {":warning:", "errored"},
	"killed":                  {":no_entry_sign:", "was killed"},
	"running":                 {":arrows_counterclockwise:", "is running"},
	"pending":                 {":hourglass_flowing_sand:", "is pending"},
	"blocked":                 {":raised_hand:", "is waiting for approval"},
	"declined":                {":no_entry_sign:", "was declined"},
	"skipped":                 {":fast_forward:", "was skipped"},
	"waiting_on_dependencies": {":hourglass_flowing_sand:", "is waiting on dependencies"},
}

// slackBody renders an event's payload as a readable message: repository,
// build number with its link, status, author, branch and duration.
func slackBody(payload []byte) ([]byte, error) {
	var p wire.WebhookPayload
	if err := json.Unmarshal(payload, &p); err != nil {
		return nil, fmt.Errorf("reading stored event: %w", err)
	}
	return json.Marshal(slackMessage{Text: slackText(p)})
}

func slackText(p wire.WebhookPayload) string {
	repo := ""
	if p.Repo != nil {
		repo = slug(p.Repo)
	}
	switch {
	case p.Event == wire.EventBuild && p.Build != nil:
		return buildText(p, repo)
	case p.Event == wire.EventRepo:
		s := fmt.Sprintf(":information_source: Repository *%s* %s", esc(repo), esc(p.Action))
		if p.User != nil && p.User.Login != "" {
			s += " by " + esc(p.User.Login)
		}
		return s
	case p.Event == wire.EventUser && p.User != nil:
		return fmt.Sprintf(":bust_in_silhouette: User *%s* %s", esc(p.User.Login), esc(p.Action))
	}
	return fmt.Sprintf(":information_source: %s:%s %s", esc(p.Event), esc(p.Action), esc(repo))
}

func buildText(p wire.WebhookPayload, repo string) string {
	b := p.Build
	st, ok := statusText[b.Status]
	if !ok {
		st = [2]string{":information_source:", "is " + esc(b.Status)}
	}
	number := fmt.Sprintf("#%d", b.Number)
	if link := buildLink(p, repo); link != "" {
		number = fmt.Sprintf("<%s|#%d>", link, b.Number)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s *%s* build %s %s", st[0], esc(repo), number, st[1])
	var facts []string
	switch {
	case b.Event == "tag":
		facts = append(facts, "Tag `"+esc(strings.TrimPrefix(b.Ref, "refs/tags/"))+"`")
	case b.Event == "pull_request" && b.Source != "":
		facts = append(facts, "Branch `"+esc(b.Source)+"` → `"+esc(b.Target)+"`")
	case b.Target != "":
		facts = append(facts, "Branch `"+esc(b.Target)+"`")
	}
	if author := b.AuthorName; author != "" || b.Author != "" {
		if author == "" {
			author = b.Author
		}
		facts = append(facts, "Author "+esc(author))
	}
	if b.Started > 0 && b.Finished >= b.Started {
		facts = append(facts, "Duration "+(time.Duration(b.Finished-b.Started)*time.Second).String())
	}
	if len(facts) > 0 {
		sb.WriteString("\n" + strings.Join(facts, " · "))
	}
	if msg, _, _ := strings.Cut(strings.TrimSpace(b.Message), "\n"); msg != "" {
		sb.WriteString("\n> " + esc(msg))
	}
	return sb.String()
}

// buildLink is the build's page on the Drone server when the payload says
// where that is, else the commit link.
func buildLink(p wire.WebhookPayload, repo string) string {
	if p.System != nil && p.System.Link != "" && repo != "" {
		return fmt.Sprintf("%s/%s/%d", strings.TrimRight(p.System.Link, "/"), repo, p.Build.Number)
	}
	if strings.HasPrefix(p.Build.Link, "https://") || strings.HasPrefix(p.Build.Link, "http://") {
		return p.Build.Link
	}
	return ""
}

// esc escapes the three characters Slack's mrkdwn reserves, so a commit
// message cannot forge a link or a mention.
var esc = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace
