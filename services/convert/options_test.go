package convert

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hangar-ci/hangar/shared/envconf"
)

func TestOptionsFromEnv(t *testing.T) {
	t.Parallel()
	t.Run("defaults", func(t *testing.T) {
		t.Parallel()
		o, err := OptionsFromEnv(envconf.Map(map[string]string{"DRONE_SECRET": "s"}))
		if err != nil {
			t.Fatal(err)
		}
		want := Limits{Steps: 50_000, Size: 1 << 20, Timeout: 10 * time.Second, Modules: 64, ModuleBytes: 4 << 20}
		if diff := cmp.Diff(want, o.Limits); diff != "" {
			t.Errorf("limits (-want +got):\n%s", diff)
		}
		if got := o.RepoLoads; !cmp.Equal(got, []string{"trusted"}) {
			t.Errorf("got RepoLoads %v, want [trusted]", got)
		}
		if o.Formats {
			t.Error("got Formats on by default, want off (Hangar's core converts itself)")
		}
	})
	t.Run("drone names", func(t *testing.T) {
		t.Parallel()
		o, err := OptionsFromEnv(envconf.Map(map[string]string{
			"DRONE_SECRET": "general", "DRONE_CONVERT_PLUGIN_SECRET": "specific",
			"DRONE_STARLARK_STEP_LIMIT": "500000", "DRONE_STARLARK_SIZE_LIMIT": "2MiB",
			"HANGAR_CONVERT_TIMEOUT": "30s", "HANGAR_CONVERT_REPO_LOADS": "trusted,octo/*", "HANGAR_CONVERT_FORMATS": "true",
		}))
		if err != nil {
			t.Fatal(err)
		}
		if o.Signature.Secret != "specific" || !o.Formats || o.Limits.Steps != 500_000 || o.Limits.Size != 2<<20 || o.Limits.Timeout != 30*time.Second {
			t.Errorf("got %+v", o)
		}
		if !cmp.Equal(o.RepoLoads, []string{"trusted", "octo/*"}) {
			t.Errorf("got RepoLoads %v", o.RepoLoads)
		}
	})
	t.Run("drone's zero means no limit", func(t *testing.T) {
		t.Parallel()
		o, err := OptionsFromEnv(envconf.Map(map[string]string{"DRONE_SECRET": "s", "DRONE_STARLARK_STEP_LIMIT": "0", "DRONE_STARLARK_SIZE_LIMIT": "0"}))
		if err != nil {
			t.Fatal(err)
		}
		if o.Limits.Steps != NoStepLimit || o.Limits.Size != MaxSizeLimit {
			t.Errorf("got steps %d and size %d, want %d and %d", o.Limits.Steps, o.Limits.Size, uint64(NoStepLimit), MaxSizeLimit)
		}
	})
	t.Run("every problem at once", func(t *testing.T) {
		t.Parallel()
		_, err := OptionsFromEnv(envconf.Map(map[string]string{
			"DRONE_STARLARK_STEP_LIMIT": "-1", "DRONE_STARLARK_SIZE_LIMIT": "big",
			"HANGAR_CONVERT_TIMEOUT": "0s", "HANGAR_CONVERT_MAX_MODULES": "0",
			"HANGAR_CONVERT_REPO_LOADS": "octo/[",
		}))
		if err == nil {
			t.Fatal("got no error")
		}
		for _, name := range []string{"DRONE_SECRET", "DRONE_STARLARK_STEP_LIMIT", "DRONE_STARLARK_SIZE_LIMIT", "HANGAR_CONVERT_TIMEOUT", "HANGAR_CONVERT_MAX_MODULES", "HANGAR_CONVERT_REPO_LOADS"} {
			if !strings.Contains(err.Error(), name) {
				t.Errorf("got %q, want it to name %s", err, name)
			}
		}
	})
}

func TestMayLoadFromRepo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		entries []string
		slug    string
		trusted bool
		want    bool
	}{
		{[]string{"trusted"}, "octo/api", true, true},
		{[]string{"trusted"}, "octo/api", false, false},
		{[]string{"all"}, "evil/fork", false, true},
		{[]string{"none"}, "octo/api", true, false},
		{[]string{"octo/*"}, "octo/api", false, true},
		{[]string{"octo/*"}, "octo/team/api", false, false},
		{[]string{"octo/**"}, "octo/team/api", false, true},
		{[]string{"trusted", "acme/web"}, "acme/web", false, true},
		{nil, "octo/api", true, false},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.entries, ",")+"/"+tt.slug, func(t *testing.T) {
			t.Parallel()
			if got := mayLoadFromRepo(tt.entries, tt.slug, tt.trusted); got != tt.want {
				t.Errorf("mayLoadFromRepo(%v, %q, %v): got %v, want %v", tt.entries, tt.slug, tt.trusted, got, tt.want)
			}
		})
	}
}

func TestResolve(t *testing.T) {
	t.Parallel()
	main := modRef{rootRepo, ".drone.star"}
	lib := modRef{rootLib, "go/go.star"}
	central := modRef{rootCentral, "octo/api/default.star"}
	tests := []struct {
		from    modRef
		spec    string
		want    modRef
		wantErr string
	}{
		{main, "@hangar//go.star", modRef{rootLib, "go.star"}, ""},
		{main, "//ci/lib.star", modRef{rootRepo, "ci/lib.star"}, ""},
		{main, "ci/lib.star", modRef{rootRepo, "ci/lib.star"}, ""},
		{lib, "steps.star", modRef{rootLib, "go/steps.star"}, ""},
		{lib, "../steps.star", modRef{rootLib, "steps.star"}, ""},
		{lib, "../../policy.yaml", modRef{}, "leaves its repository"},
		{central, "helpers.star", modRef{rootCentral, "octo/api/helpers.star"}, ""},
		{central, "../../_hangar/secrets.star", modRef{}, "files under _hangar/ are not modules"},
		{central, "../../../etc/passwd", modRef{}, "leaves its repository"},
		{main, "../../etc/passwd", modRef{}, "leaves its repository"},
		{main, "/etc/passwd", modRef{}, "absolute paths are not allowed"},
		{main, "@other//x.star", modRef{}, "unknown repository"},
		{main, "//a%2e%2e/x.star", modRef{}, "invalid path"},
		{main, "//", modRef{}, "invalid path"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			t.Parallel()
			got, err := resolve(tt.from, tt.spec)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("resolve(%v, %q): got %v, %v; want error containing %q", tt.from, tt.spec, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("resolve(%v, %q): got %v, %v; want %v", tt.from, tt.spec, got, err, tt.want)
			}
		})
	}
}
