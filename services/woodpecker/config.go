package woodpecker

import (
	"context"
	"log/slog"
	"net/http"
	"path"
	"strings"

	"github.com/drone/drone-go/drone"

	"github.com/hangar-ci/hangar/shared/httperr"
	"github.com/hangar-ci/hangar/shared/reqlog"
	"github.com/hangar-ci/hangar/shared/server"
	"github.com/hangar-ci/hangar/shared/wire"
)

// centralStem names the files in which a pipeline from the config
// repository is handed to Woodpecker: hangar.yaml (its workflow is called
// "hangar"), or hangar-1.yaml, … for several documents.
const centralStem = "hangar"

// configAnswer is Woodpecker's config extension answer.
type configAnswer struct {
	Configs []file `json:"configs"`
}

// config answers Woodpecker's config extension: the central pipeline
// (rendered when it is a script), or the repository's own files with
// their scripts rendered, or those files unchanged, or 204 when Woodpecker
// sent none (v3.0–v3.13) so it keeps the repository's files.
func (s *service) config(w http.ResponseWriter, r *http.Request) {
	ctx, req, sub, ok := decode(w, r)
	if !ok {
		return
	}
	in := req.files()
	if s.mark.allValid(in) {
		// A restart sends back what Hangar answered the first time.
		reqlog.Annotate(ctx, slog.String("config", "restart"), slog.Int("files", len(in)))
		s.answers.WithLabelValues(kindConfig, "restart").Inc()
		wire.WriteJSON(w, http.StatusOK, configAnswer{in})
		return
	}
	out, source, err := s.findConfig(ctx, sub, in)
	if err != nil {
		httperr.Write(w, r, err)
		return
	}
	reqlog.Annotate(ctx, slog.String("config", source))
	s.answers.WithLabelValues(kindConfig, source).Inc()
	if out == nil && len(in) > 0 {
		// The files Woodpecker sent, back unchanged: what a 204 means, but
		// Woodpecker v3.14+ decodes a 204's empty body, fails, and retries
		// with backoff before accepting it.
		out = in
	}
	if out == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	wire.WriteJSON(w, http.StatusOK, configAnswer{out})
}

// findConfig asks Hangar's config service for the build's pipeline; with
// none there, the repository's own scripts (if any) are rendered. source
// says which for the log; nil files mean "keep the repository's files".
func (s *service) findConfig(ctx context.Context, sub subject, in []file) ([]file, string, error) {
	status, body, err := s.hangar.call(ctx, kindConfig, sub)
	if err != nil {
		return nil, "", err
	}
	switch status {
	case http.StatusOK:
		var c drone.Config
		if err := decodeAnswer(kindConfig, body, &c); err != nil {
			return nil, "", err
		}
		data, err := s.render(ctx, sub, "", c.Data)
		if err != nil {
			return nil, "", err
		}
		return s.mark.workflows(centralStem, data), "central", nil
	case http.StatusNoContent:
	default:
		return nil, "", refused(kindConfig, status, body)
	}
	var out []file
	rendered := false
	for _, f := range in {
		if wire.ScriptKind(f.Name) == "yaml" || s.mark.valid(f) {
			out = append(out, f)
			continue
		}
		data, err := s.render(ctx, sub, f.Name, f.Data)
		if err != nil {
			return nil, "", err
		}
		out = append(out, s.mark.workflows(strings.TrimSuffix(f.Name, path.Ext(f.Name)), data)...)
		rendered = true
	}
	if !rendered {
		return nil, "none", nil
	}
	return out, "repository scripts", nil
}

// render runs a script through Hangar's convert service: a central script
// as the config service marked it (name empty), or a repository file by its
// name. YAML comes back unchanged.
func (s *service) render(ctx context.Context, sub subject, name, data string) (string, error) {
	if name == "" {
		if _, _, _, ok := wire.ParseScriptMark(data); !ok {
			return data, nil
		}
	}
	req := struct {
		subject
		Config drone.Config `json:"config"`
	}{sub, drone.Config{Data: data}}
	if name != "" {
		req.Repo.Config = name
	}
	status, body, err := s.hangar.call(ctx, kindConvert, req)
	if err != nil {
		return "", err
	}
	switch status {
	case http.StatusOK:
		var c drone.Config
		if err := decodeAnswer(kindConvert, body, &c); err != nil {
			return "", err
		}
		return c.Data, nil
	case http.StatusNoContent:
		return data, nil
	}
	return "", refused(kindConvert, status, body)
}

// decode reads Woodpecker's request, maps it onto Drone's and names the
// build in the access log; false means the refusal has been answered. The
// context carries the request id on to the calls of Hangar's services, so
// their log lines share it.
func decode(w http.ResponseWriter, r *http.Request) (context.Context, *request, subject, bool) {
	var req request
	if err := wire.Decode(r, &req); err != nil {
		httperr.Write(w, r, err)
		return nil, nil, subject{}, false
	}
	sub := req.toDrone()
	reqlog.Annotate(r.Context(), slog.String("repo", sub.Repo.Slug), slog.String("event", sub.Build.Event),
		slog.String("branch", sub.Build.Target))
	ctx := context.WithValue(r.Context(), requestIDKey{}, w.Header().Get(server.RequestIDHeader))
	return ctx, &req, sub, true
}
