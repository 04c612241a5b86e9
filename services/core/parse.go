package core

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"

	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/shared/scmhook"
)

// parsed is what a provider's webhook asks for: the repository it names
// and, when it should build, the hook. A nil hook with a reason means the
// event is understood and deliberately ignored (branch deletion, a closed
// pull request, an event Hangar does not build).
type parsed struct {
	slug   string
	hook   *model.Hook
	reason string
}

// parseHook decodes a provider's payload. A malformed payload is an error;
// a payload Hangar ignores has a reason and no hook.
func parseHook(p scmhook.Provider, event string, body []byte) (parsed, error) {
	switch p {
	case scmhook.GitHub:
		return parseGitHub(event, body)
	case scmhook.GitLab:
		return parseGitLab(event, body)
	}
	return parsed{}, scmhook.ErrUnknownProvider
}

// Skip markers of §4.2 step 1.
var skipMarkers = []string{"[ci skip]", "[skip ci]", "***no_ci***"}

// skipByMessage reports whether the hook carries a skip marker. Tags,
// crons and custom builds are never skipped this way.
func skipByMessage(h *model.Hook) bool {
	switch h.Event {
	case model.EventTag, model.EventCron, model.EventCustom:
		return false
	}
	msg, title := strings.ToLower(h.Message), strings.ToLower(h.Title)
	for _, m := range skipMarkers {
		if strings.Contains(msg, m) || strings.Contains(title, m) {
			return true
		}
	}
	return false
}

func trimRef(ref string) string {
	ref = strings.TrimPrefix(ref, "refs/heads/")
	return strings.TrimPrefix(ref, "refs/tags/")
}

// zeroSHA is the "no commit" sha in push payloads.
func zeroSHA(s string) bool { return strings.Trim(s, "0") == "" }

// errNotObject is a payload that is not a JSON object (null, a list, …).
var errNotObject = errors.New("the payload is not a JSON object")

// decodeObject decodes a payload that must be one JSON object.
func decodeObject(body []byte, v any) error {
	if t := bytes.TrimLeft(body, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return errNotObject
	}
	return json.Unmarshal(body, v)
}
