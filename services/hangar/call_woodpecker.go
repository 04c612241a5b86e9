package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/hangar-ci/hangar/shared/msgsig"
)

// woodpeckerCall is `hangar call -woodpecker`: a Woodpecker v3 extension
// request for one build, signed with the Woodpecker server's private key
// exactly as Woodpecker signs (see shared/msgsig).
type woodpeckerCall struct {
	key                                      string
	slug, branch, event, ref, commit, source string
	fork                                     bool
	body                                     string // a JSON file to send instead, '-' for stdin
}

func (c woodpeckerCall) send(ctx context.Context, url string, timeout time.Duration, stdout io.Writer) error {
	if c.key == "" {
		return fmt.Errorf("-woodpecker needs -key: the Woodpecker server's private key (hex, as in its server config table, or PEM)")
	}
	raw, err := os.ReadFile(c.key)
	if err != nil {
		return err
	}
	key, err := msgsig.ParsePrivateKey(raw)
	if err != nil {
		return fmt.Errorf("-key %s: %w", c.key, err)
	}
	body, err := c.build()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if err := msgsig.Sign(req, body, key, time.Now()); err != nil {
		return err
	}
	return send(req, stdout)
}

// build returns the body: the given file, or {repo, pipeline} from flags.
func (c woodpeckerCall) build() ([]byte, error) {
	switch c.body {
	case "-":
		return io.ReadAll(os.Stdin)
	case "":
	default:
		return os.ReadFile(c.body)
	}
	owner, name, _ := strings.Cut(c.slug, "/")
	ref := c.ref
	if ref == "" {
		ref = "refs/heads/" + c.branch
	}
	// `hangar call` names events as Drone does; Woodpecker's differ.
	event := map[string]string{"promote": "deployment", "custom": "manual"}[c.event]
	if event == "" {
		event = c.event
	}
	pipeline := map[string]any{"event": event, "branch": c.branch, "ref": ref, "commit": c.commit}
	if event == "pull_request" {
		source := c.source
		if source == "" {
			source = c.branch
		}
		pipeline["refspec"] = source + ":" + c.branch
		pipeline["from_fork"] = c.fork
	}
	var buf bytes.Buffer
	err := json.NewEncoder(&buf).Encode(map[string]any{
		"repo":     map[string]any{"owner": owner, "name": name, "full_name": c.slug, "default_branch": "main", "private": true},
		"pipeline": pipeline,
	})
	return buf.Bytes(), err
}
