package validate

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/hangar-ci/hangar/shared/envconf"
)

func TestParseCache(t *testing.T) {
	t.Parallel()
	c := newParseCache(2, 1<<20, nil)
	o := CheckOptions{Lint: true}
	priv := goodYAML + "  privileged: true\n"

	a1, hit, _ := c.analyze(context.Background(), priv, false, o)
	if hit || len(a1.vs) != 1 {
		t.Fatalf("first analysis: hit %v, %d findings; want a miss with the privileged finding", hit, len(a1.vs))
	}
	if a2, hit, _ := c.analyze(context.Background(), priv, false, o); !hit || a2 != a1 {
		t.Errorf("same text: hit %v, same analysis %v; want a hit on the same analysis", hit, a2 == a1)
	}
	// The trusted flag is part of the key: the trusted-only rule differs.
	if a3, hit, _ := c.analyze(context.Background(), priv, true, o); hit || len(a3.vs) != 0 {
		t.Errorf("trusted: hit %v, %d findings; want a miss with no finding", hit, len(a3.vs))
	}
	// A third text evicts the least recently used (the untrusted one).
	c.analyze(context.Background(), goodYAML, false, o)
	if _, hit, _ := c.analyze(context.Background(), priv, false, o); hit {
		t.Errorf("got a hit for an evicted entry, want a miss")
	}
}

func TestParseCacheBytesBound(t *testing.T) {
	t.Parallel()
	c := newParseCache(100, int64(3*len(goodYAML)), nil)
	for i := 0; i < 10; i++ {
		c.analyze(context.Background(), goodYAML+fmt.Sprintf("# %d\n", i), false, CheckOptions{})
	}
	if c.entries.Bytes() > int64(3*len(goodYAML)) || c.entries.Len() > 3 {
		t.Errorf("cache holds %d bytes in %d entries, want at most %d bytes", c.entries.Bytes(), c.entries.Len(), 3*len(goodYAML))
	}
	big := strings.Repeat("# x\n", 3*len(goodYAML))
	if _, hit, _ := c.analyze(context.Background(), big, false, CheckOptions{}); hit {
		t.Fatal("got a hit for a new text")
	}
	if _, hit, _ := c.analyze(context.Background(), big, false, CheckOptions{}); hit {
		t.Errorf("a text over the byte bound was cached, want it never kept")
	}
}

// A cached analysis must not carry one build's policy violations into
// another's decision.
func TestCachedAnalysisPerBuildPolicy(t *testing.T) {
	t.Parallel()
	p, err := ParsePolicy([]byte(e2ePolicy))
	if err != nil {
		t.Fatal(err)
	}
	c := newParseCache(4, 1<<20, nil)
	docs, push := pushBuild(), pushBuild()
	docs.Message = "[docs only]"
	repo := repoOf("a/b", false)
	for i, tt := range []struct {
		build string
		want  string
	}{{"docs", DecisionSkip}, {"push", DecisionValid}, {"docs", DecisionSkip}} {
		b := push
		if tt.build == "docs" {
			b = docs
		}
		a, _, _ := c.analyze(context.Background(), goodYAML, false, CheckOptions{Lint: true})
		if got := a.decide(context.Background(), p, b, repo).Outcome; got != tt.want {
			t.Errorf("request %d (%s): got %s, want %s", i, tt.build, got, tt.want)
		}
	}
}

func TestOptionsFromEnv(t *testing.T) {
	t.Parallel()
	o, err := OptionsFromEnv(envconf.Map(map[string]string{"DRONE_SECRET": "s", "DRONE_VALIDATE_PLUGIN_SECRET": "v"}))
	if err != nil {
		t.Fatal(err)
	}
	if o.Signature.Secret != "v" || o.PolicyPath != DefaultPolicyPath || !o.Lint || o.CacheEntries != 256 {
		t.Errorf("got %+v, want the validate secret and defaults", o)
	}
	_, err = OptionsFromEnv(envconf.Map(map[string]string{
		"HANGAR_VALIDATE_POLICY": "../etc/passwd", "HANGAR_VALIDATE_CACHE_ENTRIES": "-1", "HANGAR_VALIDATE_LINT": "maybe",
	}))
	for _, want := range []string{"DRONE_SECRET", "HANGAR_VALIDATE_POLICY", "HANGAR_VALIDATE_CACHE_ENTRIES", "HANGAR_VALIDATE_LINT"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want every problem reported, including %s", err, want)
		}
	}
}
