package woodpecker

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/drone/drone-go/drone"
	"go.yaml.in/yaml/v3"

	"github.com/hangar-ci/hangar/shared/httperr"
	"github.com/hangar-ci/hangar/shared/reqlog"
	"github.com/hangar-ci/hangar/shared/wire"
)

// secretEntry is one secret Woodpecker builds may ask for, from the
// secrets file of the config repository:
//
//	secrets:
//	  - name: docker_password     # the name pipelines use (from_secret)
//	    path: secret/data/docker  # the Vault path, as a Drone pipeline's get.path
//	    key: password             # the key in it (get.name); default: name
//	    images: [woodpeckerci/plugin-docker-buildx]  # optional, Woodpecker's own image filter
//
// The file only names secrets; whether a build gets one is decided by
// Hangar's secret service exactly as for Drone: the secret's X-Drone-*
// keys, the central policy, and the fork rule.
type secretEntry struct {
	Name   string   `yaml:"name"`
	Path   string   `yaml:"path"`
	Key    string   `yaml:"key"`
	Images []string `yaml:"images"`
}

func parseSecretEntries(raw []byte) ([]secretEntry, error) {
	var doc struct {
		Secrets []secretEntry `yaml:"secrets"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	// The file holds names and paths, never values: its YAML errors may
	// quote it.
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	seen := map[string]bool{}
	for i, e := range doc.Secrets {
		switch {
		case e.Name == "" || e.Path == "":
			return nil, fmt.Errorf("entry %d: name and path are required", i+1)
		case seen[e.Name]:
			return nil, fmt.Errorf("entry %d: name %q listed twice", i+1, e.Name)
		}
		seen[e.Name] = true
		if e.Key == "" {
			doc.Secrets[i].Key = e.Name
		}
	}
	return doc.Secrets, nil
}

// wpSecret is a secret as Woodpecker's model.Secret reads it.
type wpSecret struct {
	Name   string   `json:"name"`
	Value  string   `json:"value"`
	Images []string `json:"images"`
	Events []string `json:"events"`
}

// secret answers Woodpecker's secret extension (v3.14+) with every listed
// secret Hangar's secret service releases to this build. A refused secret
// is left out; a failing backend fails the whole answer, since a silently
// shorter list would fail the build far from the cause.
func (s *service) secret(w http.ResponseWriter, r *http.Request) {
	ctx, req, sub, ok := decode(w, r)
	if !ok {
		return
	}
	entries, err := s.secrets.Get(ctx)
	if err != nil {
		httperr.Write(w, r, httperr.Wrap(httperr.Unavailable, err, "Woodpecker secrets file %s unavailable: %v", s.opts.SecretsPath, err))
		return
	}
	out := []wpSecret{}
	var released, withheld []string
	for _, e := range entries {
		status, body, err := s.hangar.call(ctx, kindSecret, struct {
			Name string `json:"name"`
			Path string `json:"path"`
			subject
		}{e.Key, e.Path, sub})
		if err != nil {
			httperr.Write(w, r, err)
			return
		}
		switch status {
		case http.StatusOK:
			var sec drone.Secret
			if err := decodeAnswer(kindSecret, body, &sec); err != nil {
				httperr.Write(w, r, err)
				return
			}
			// Hangar decided for this build's event; Woodpecker matches
			// the secret to the event once more and finds it.
			out = append(out, wpSecret{Name: e.Name, Value: sec.Data, Images: e.Images, Events: []string{req.Pipeline.Event}})
			released = append(released, e.Name)
		case http.StatusNotFound:
			withheld = append(withheld, e.Name)
		default:
			httperr.Write(w, r, refused(kindSecret, status, body))
			return
		}
	}
	reqlog.Annotate(ctx, slog.Any("released", released), slog.Any("withheld", withheld))
	s.answers.WithLabelValues(kindSecret, "released").Add(float64(len(released)))
	s.answers.WithLabelValues(kindSecret, "withheld").Add(float64(len(withheld)))
	wire.WriteJSON(w, http.StatusOK, struct {
		Secrets []wpSecret `json:"secrets"`
	}{out})
}
