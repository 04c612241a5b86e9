package config

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	droneconfig "github.com/drone/drone-go/plugin/config"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hangar-ci/hangar/shared/servicetest"
)

// TestIdenticalResend: Drone asks once per stage with the same bytes; the
// second answer comes from memory, and an edit of the config repository
// is still served at once to the very same request.
func TestIdenticalResend(t *testing.T) {
	t.Parallel()
	d, root := servicetest.Tree(t, sampleTree)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	url, logs := startService(t, d, nil)
	client := droneconfig.Client(url, testSecret, false)
	req := request("octo/hello", "main")
	for i := range 3 {
		got, err := client.Find(context.Background(), req)
		if err != nil || got.Data != sampleTree["octo/hello/main.yaml"] {
			t.Fatalf("send %d: %+v, %v", i+1, got, err)
		}
	}
	if n := strings.Count(logs.String(), `"file":"octo/hello/main.yaml"`); n != 3 {
		t.Errorf("%d log lines name the file, want one per request (3), hits included", n)
	}

	time.Sleep(50 * time.Millisecond)
	if err := os.WriteFile(filepath.Join(root, "octo/hello/main.yaml"), []byte("kind: pipeline\nname: edited\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		got, err := client.Find(context.Background(), req)
		if err == nil && got.Data == "kind: pipeline\nname: edited\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the edit is not served after 2s: %+v, %v", got, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestAnswersSkipTreesWithoutGeneration(t *testing.T) {
	t.Parallel()
	d, _ := servicetest.Tree(t, sampleTree)
	a := newAnswers(&recordingTree{Tree: d}, 16) // hides Generation
	if _, ok := a.key([32]byte{}); ok {
		t.Error("a tree that cannot report changes got an answer cache")
	}
}

func TestResendMetric(t *testing.T) {
	t.Parallel()
	d, _ := servicetest.Tree(t, sampleTree)
	svc, url := startServiceWithHandle(t, d)
	client := droneconfig.Client(url, testSecret, false)
	for range 4 {
		if _, err := client.Find(context.Background(), request("acme/web", "main")); err != nil {
			t.Fatal(err)
		}
	}
	if got := testutil.ToFloat64(svc.resends); got != 3 {
		t.Errorf("resend hits = %v, want 3 of 4 identical requests", got)
	}
}
