package servicetest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/hangar-ci/hangar/shared/server"
	"github.com/hangar-ci/hangar/shared/tree"
)

func TestLogs(t *testing.T) {
	t.Parallel()
	var l Logs
	if got := l.Lines(); got != nil {
		t.Errorf("empty Lines: got %q, want nil", got)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() { fmt.Fprintf(&l, "line %d\n", i) })
	}
	wg.Wait()
	if got := len(l.Lines()); got != 8 {
		t.Errorf("Lines: got %d, want 8 from %q", got, l.String())
	}
	Logger(&l).Debug("debug is kept", "k", "v")
	if got := l.String(); !strings.Contains(got, `"msg":"debug is kept","k":"v"`) {
		t.Errorf("log: got %q, want the debug line as JSON", got)
	}
}

func TestTree(t *testing.T) {
	t.Parallel()
	d, root := Tree(t, map[string]string{"a.yml": "a", "_hangar/lib/x.star": "x"})
	for name, want := range map[string]string{"a.yml": "a", "_hangar/lib/x.star": "x"} {
		got, err := d.ReadFile(context.Background(), name)
		if err != nil || string(got) != want {
			t.Errorf("ReadFile(%q): got %q, %v, want %q", name, got, err, want)
		}
	}
	WriteFiles(t, root, map[string]string{"a.yml": "changed"})
	if err := d.Reload(); err != nil {
		t.Fatal(err)
	}
	if got, err := d.ReadFile(context.Background(), "a.yml"); string(got) != "changed" {
		t.Errorf("after Reload: got %q, %v, want %q", got, err, "changed")
	}
	if _, err := d.ReadFile(context.Background(), "missing"); !errors.Is(err, tree.ErrNotExist) {
		t.Errorf("missing file: got %v, want tree.ErrNotExist", err)
	}
}

// fakeT records what Start asks of a test, so the test can run the
// cleanup itself and see the failure Start reports.
type fakeT struct {
	testing.TB
	cleanups []func()
	errs     []string
}

func (f *fakeT) Helper()                        {}
func (f *fakeT) Cleanup(fn func())              { f.cleanups = append(f.cleanups, fn) }
func (f *fakeT) Errorf(format string, a ...any) { f.errs = append(f.errs, fmt.Sprintf(format, a...)) }
func (f *fakeT) cleanup() {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
}

func TestStart(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		runErr   error // returned by Run once cancelled
		noRun    bool
		wantErrs int
	}{
		{name: "run returns nil", runErr: nil},
		{name: "run returns cancellation", runErr: context.Canceled},
		{name: "no run", noRun: true},
		{name: "run fails", runErr: errors.New("database gone"), wantErrs: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			running := make(chan struct{})
			stopped := make(chan struct{})
			svc := &server.Service{Name: "echo", Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, "echo "+r.URL.Path)
			})}
			if !tt.noRun {
				svc.Run = func(ctx context.Context) error {
					close(running)
					<-ctx.Done()
					close(stopped)
					return tt.runErr
				}
			}
			ft := &fakeT{TB: t}
			url := Start(ft, svc, Env(nil, nil))
			if !tt.noRun {
				<-running
			}
			for path, want := range map[string]string{"/x": "echo /x", "/echo/x": "echo /x"} {
				res, err := http.Get(url + path)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if string(b) != want {
					t.Errorf("GET %s: got %q, want %q", path, b, want)
				}
			}
			ft.cleanup()
			if !tt.noRun {
				select {
				case <-stopped:
				default:
					t.Error("after cleanup: Run still running, want it cancelled and awaited")
				}
			}
			if len(ft.errs) != tt.wantErrs {
				t.Errorf("reported failures: got %q, want %d", ft.errs, tt.wantErrs)
			}
			if _, err := http.Get(url + "/x"); err == nil {
				t.Error("after cleanup: server still answers, want it closed")
			}
		})
	}
}

func TestEnv(t *testing.T) {
	t.Parallel()
	d, _ := Tree(t, nil)
	env := Env(d, nil)
	if env.Repo != tree.Tree(d) || env.Registry == nil || env.Logger == nil {
		t.Errorf("Env: got %+v, want repo, registry and logger set", env)
	}
}
