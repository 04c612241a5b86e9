package registry

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestReadinessReportsBrokenFile: a registries file broken by an edit keeps
// serving its last good entries but turns /readyz red, naming the file,
// until it is fixed.
func TestReadinessReportsBrokenFile(t *testing.T) {
	t.Parallel()
	good := "registries:\n- address: registry.example.com\n  username: bot\n  password: p4ss\n  repos: [octo/*]\n"
	h := start(t, Options{}, map[string]string{DefaultFilePath: good})
	ready := func() (int, string) {
		t.Helper()
		res, err := http.Get(h.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, body := ready(); code != http.StatusOK {
		t.Fatalf("/readyz = %d %s, want 200 with a good file", code, body)
	}
	h.write(t, DefaultFilePath, "registries: [unclosed\n")
	code, body := ready()
	if code != http.StatusServiceUnavailable || !strings.Contains(body, DefaultFilePath) {
		t.Errorf("/readyz = %d %s, want 503 naming %s", code, body, DefaultFilePath)
	}
	if strings.Contains(body, "p4ss") {
		t.Errorf("/readyz shows a password: %s", body)
	}
	h.write(t, DefaultFilePath, good)
	if code, body := ready(); code != http.StatusOK {
		t.Errorf("/readyz after the fix = %d %s, want 200", code, body)
	}
}
