package wire

import (
	"bytes"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/drone/drone-go/drone"

	"github.com/hangar-ci/hangar/shared/httperr"
)

func TestDecode(t *testing.T) {
	t.Parallel()
	type req struct {
		Repo  drone.Repo  `json:"repo"`
		Build drone.Build `json:"build"`
	}
	tests := []struct {
		name, contentType, body string
		wantErr                 string
	}{
		{"valid", "application/json", `{"repo":{"slug":"octo/hello"},"build":{"target":"main"}}`, ""},
		{"unknown fields are accepted", "application/json; charset=utf-8", `{"repo":{"slug":"a/b","new_field":1},"pipeline":{}}`, ""},
		{"empty", "application/json", "  ", "empty body"},
		{"truncated", "application/json", `{"repo":{"slug":`, "invalid JSON body"},
		{"wrong type", "application/json", `{"repo":{"slug":42}}`, `field "repo.slug" must be string`},
		{"trailing data", "application/json", `{"repo":{}} {"x":1}`, "data after the JSON value"},
		{"not JSON", "text/plain", `{}`, `Content-Type "text/plain" not supported`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("POST", "/", strings.NewReader(tt.body))
			r.Header.Set("Content-Type", tt.contentType)
			var v req
			err := Decode(r, &v)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Decode = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(httperr.Message(err), tt.wantErr) || httperr.Status(err) != 400 {
				t.Errorf("Decode = %v (status %d), want 400 containing %q", err, httperr.Status(err), tt.wantErr)
			}
		})
	}
	var strict struct{ A int }
	if err := DecodeBytes([]byte(`{"A":1,"B":2}`), &strict, true); err == nil || !strings.Contains(err.Error(), `unknown field "B"`) {
		t.Errorf("strict DecodeBytes = %v, want unknown field refusal", err)
	}
}

func TestScriptMark(t *testing.T) {
	t.Parallel()
	script := "def main(ctx):\n    return {}\n"
	marked := MarkScript("starlark", "octo/api/default.star", []byte(script))
	kind, name, rest, ok := ParseScriptMark(marked)
	if !ok || kind != "starlark" || name != "octo/api/default.star" || rest != script {
		t.Errorf("ParseScriptMark = %q %q %q %v, want the original script back", kind, name, rest, ok)
	}
	if got := MarkScript("yaml", "a.yaml", []byte("kind: pipeline\n")); got != "kind: pipeline\n" {
		t.Errorf("YAML is marked: %q", got)
	}
	for _, data := range []string{"kind: pipeline\n", "# hangar: kind=python path=x\nprint()", "# a comment\n"} {
		if _, _, rest, ok := ParseScriptMark(data); ok || rest != data {
			t.Errorf("ParseScriptMark(%q) = ok %v, want unmarked and unchanged", data, ok)
		}
	}
	for name, want := range map[string]string{".drone.star": "starlark", "x.starlark": "starlark", "x.script": "starlark", "a.jsonnet": "jsonnet", ".drone.yml": "yaml"} {
		if got := ScriptKind(name); got != want {
			t.Errorf("ScriptKind(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestWriteJSON(t *testing.T) {
	t.Parallel()
	w := httptest.NewRecorder()
	if err := WriteJSON(w, 201, map[string]string{"a": "<b>"}); err != nil {
		t.Fatal(err)
	}
	if w.Code != 201 || w.Header().Get("Content-Type") != "application/json" || !bytes.Equal(w.Body.Bytes(), []byte("{\"a\":\"\\u003cb\\u003e\"}\n")) {
		t.Errorf("WriteJSON = %d %q %q", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
	if err := WriteJSON(httptest.NewRecorder(), 200, func() {}); err == nil {
		t.Error("WriteJSON of a func = nil error, want one before anything is written")
	}
}

func TestRepoRef(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ref            RepoRef
		slug, ns, name string
	}{
		{RepoRef{Namespace: "octo", Name: "hello", Slug: "octo/hello"}, "octo/hello", "octo", "hello"},
		{RepoRef{Slug: "group/sub/project"}, "group/sub/project", "group/sub", "project"},
		{RepoRef{Namespace: "octo", Name: "hello"}, "octo/hello", "octo", "hello"},
		{RepoRef{}, "", "", ""},
	}
	for _, tt := range tests {
		ns, name := tt.ref.Names()
		if got := tt.ref.SlugOrNames(); got != tt.slug || ns != tt.ns || name != tt.name {
			t.Errorf("%+v: SlugOrNames %q Names %q %q; want %q %q %q", tt.ref, got, ns, name, tt.slug, tt.ns, tt.name)
		}
	}
}
