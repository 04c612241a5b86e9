package convert

import (
	"os"
	"testing"
)

// TestMain lets the test binary serve as the Jsonnet worker, as the hangar
// binary does in production.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == WorkerArg {
		if err := JsonnetWorker(os.Stdin, os.Stdout); err != nil {
			os.Stderr.WriteString(err.Error())
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// workerCmd starts this test binary as a Jsonnet worker.
func workerCmd(t testing.TB) []string {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return []string{exe, WorkerArg}
}
