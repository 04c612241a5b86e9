package core

import (
	"context"
	"testing"

	"github.com/drone/drone-go/drone"
	"github.com/drone/drone-go/plugin/converter"
	"github.com/drone/drone-go/plugin/validator"
)

// TestTriggerStoresConfig checks that a build keeps the YAML the trigger
// resolved — the converter's output, not the config extension's — for the
// runners to run, and that an error build keeps none.
func TestTriggerStoresConfig(t *testing.T) {
	t.Parallel()
	const converted = "kind: pipeline\nname: converted\nsteps:\n- name: s\n  image: alpine\n"
	conv := &fakeConvert{convert: func(*converter.Request) (*drone.Config, error) { return &drone.Config{Data: converted}, nil }}
	val := &fakeValidate{validate: func(*validator.Request) error { return nil }}
	f := newFixture(t, constConfig("kind: pipeline\nname: original\nsteps:\n- name: s\n  image: alpine\n"), conv, val, noWebhook{})
	ctx := context.Background()
	b, _, err := f.t.trigger(ctx, f.repo, pushHook())
	if err != nil || b == nil {
		t.Fatalf("trigger: %v, %v", b, err)
	}
	if got, err := f.store.FindBuildConfig(ctx, b.ID); err != nil || got != converted {
		t.Errorf("stored config: got %q, %v; want the converted YAML", got, err)
	}
	bad := newFixture(t, constConfig("kind: pipeline\nsteps: {\n"), conv, val, noWebhook{})
	conv.convert = func(*converter.Request) (*drone.Config, error) { return nil, nil }
	eb, _, err := bad.t.trigger(ctx, bad.repo, pushHook())
	if err != nil || eb == nil || eb.Status != "error" {
		t.Fatalf("error build: %v, %v", eb, err)
	}
	if _, err := bad.store.FindBuildConfig(ctx, eb.ID); err == nil {
		t.Error("an error build kept a configuration")
	}
}
