package convert

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"

	"github.com/hangar-ci/hangar/shared/httperr"
)

// WorkerArg, as a binary's first argument, makes it serve one Jsonnet
// evaluation on stdin and stdout (see JsonnetWorker). The hangar binary
// answers to it; the convert service starts it for every Jsonnet
// conversion, so that an evaluation past its time or memory limit can be
// killed, which go-jsonnet itself does not allow.
const WorkerArg = "convert-jsonnet-worker"

// DefaultJsonnetMemory bounds a Jsonnet worker's heap.
const DefaultJsonnetMemory = 512 << 20

// exitMemory is a worker's exit status when it passed its memory limit.
const exitMemory = 3

// job is what the service sends a worker.
type job struct {
	Name   string            `json:"name"`
	Script string            `json:"script"`
	Vars   map[string]string `json:"vars"`
	Code   map[string]string `json:"code"`
	Memory int64             `json:"memory"`
}

// workerMsg is a worker's message: an import to resolve, or the outcome.
type workerMsg struct {
	Import *importReq `json:"import,omitempty"`
	Result *string    `json:"result,omitempty"`
	Error  string     `json:"error,omitempty"`
}

type importReq struct {
	From string `json:"from"`
	Path string `json:"path"`
}

// importResp answers an importReq.
type importResp struct {
	Data    []byte `json:"data"`
	FoundAt string `json:"found_at"`
	Error   string `json:"error,omitempty"`
}

// JsonnetWorker serves one evaluation: it reads a job from in, asks for
// each import over out and reads the answer from in, and writes the
// result. It exits the process with status 3 when its heap passes the
// job's memory limit.
func JsonnetWorker(in io.Reader, out io.Writer) error {
	dec := json.NewDecoder(in)
	var mu sync.Mutex
	enc := json.NewEncoder(out)
	send := func(m workerMsg) error {
		mu.Lock()
		defer mu.Unlock()
		return enc.Encode(m)
	}
	var j job
	if err := dec.Decode(&j); err != nil {
		return fmt.Errorf("jsonnet worker: reading the job: %w", err)
	}
	if j.Memory > 0 {
		debug.SetMemoryLimit(j.Memory / 2) // collect hard before the watchdog kills
		go watchMemory(uint64(j.Memory))
	}
	lookup := func(from, path string) ([]byte, string, error) {
		if err := send(workerMsg{Import: &importReq{from, path}}); err != nil {
			return nil, "", err
		}
		var r importResp
		if err := dec.Decode(&r); err != nil {
			return nil, "", err
		}
		if r.Error != "" {
			return nil, "", errors.New(r.Error)
		}
		return r.Data, r.FoundAt, nil
	}
	vm := newVM(j.Vars, j.Code, &memoImporter{lookup: lookup})
	res, err := vm.EvaluateAnonymousSnippet(j.Name, j.Script)
	if err != nil {
		return send(workerMsg{Error: err.Error()})
	}
	return send(workerMsg{Result: &res})
}

// watchMemory ends the process when the heap passes limit.
func watchMemory(limit uint64) {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	for range time.Tick(5 * time.Millisecond) {
		metrics.Read(s)
		if s[0].Value.Kind() == metrics.KindUint64 && s[0].Value.Uint64() > limit {
			os.Exit(exitMemory)
		}
	}
}

// worker starts Jsonnet workers.
type worker struct {
	cmd    []string
	memory int64
	slots  chan struct{} // bounds concurrent workers
}

func newWorker(cmd []string, memory int64, concurrency int) *worker {
	if len(cmd) == 0 {
		return nil
	}
	if memory <= 0 {
		memory = DefaultJsonnetMemory
	}
	return &worker{cmd: cmd, memory: memory, slots: make(chan struct{}, max(concurrency, 1))}
}

// eval runs j in a new worker process, answering its imports with lookup.
func (w *worker) eval(ctx context.Context, j job, limit int, lookup func(from, path string) ([]byte, string, error)) answer {
	select {
	case w.slots <- struct{}{}:
		defer func() { <-w.slots }()
	case <-ctx.Done():
		return answer{timeout: true}
	}
	j.Memory = w.memory
	cmd := exec.CommandContext(ctx, w.cmd[0], w.cmd[1:]...)
	// Nothing of the service's environment (secrets, tokens) is needed.
	cmd.Env = []string{"GOMAXPROCS=1"}
	cmd.WaitDelay = time.Second
	var stderr bytes.Buffer
	cmd.Stderr = &limitedWriter{w: &stderr, n: 4096}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return answer{err: err}
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return answer{err: err}
	}
	if err := cmd.Start(); err != nil {
		return answer{err: httperr.Wrap(httperr.Internal, err, "cannot start the Jsonnet worker")}
	}
	// The answer is JSON of the pipelines: four times the output limit is
	// more than any acceptable one, and reading stops there.
	out := &cappedReader{r: stdout, n: 4*int64(limit) + 64<<10}
	a := w.talk(j, stdin, out, lookup)
	stdin.Close()
	if a.err != nil && isProtocolError(a.err) {
		cmd.Process.Kill() // it may be blocked writing what we no longer read
	}
	waitErr := cmd.Wait()
	switch {
	case ctx.Err() != nil:
		return answer{timeout: true}
	case out.n < 0:
		return answer{err: sizeError(j.Name, limit)}
	case a.err != nil || a.out != "":
		if a.err == nil || !isProtocolError(a.err) {
			return a
		}
	}
	var ee *exec.ExitError
	if errors.As(waitErr, &ee) && ee.ExitCode() == exitMemory {
		return answer{err: scriptError("%s: the Jsonnet evaluation used more than %d bytes of memory (HANGAR_CONVERT_JSONNET_MEMORY) and was stopped", j.Name, w.memory)}
	}
	return answer{err: httperr.New(httperr.Internal, "%s: the Jsonnet worker failed: %v %s", j.Name, waitErr, stderr.String())}
}

// protocolError is a broken conversation with a worker (it died).
type protocolError struct{ error }

func isProtocolError(err error) bool {
	var pe protocolError
	return errors.As(err, &pe)
}

func (w *worker) talk(j job, stdin io.Writer, stdout io.Reader, lookup func(from, path string) ([]byte, string, error)) answer {
	enc := json.NewEncoder(stdin)
	dec := json.NewDecoder(stdout)
	if err := enc.Encode(j); err != nil {
		return answer{err: protocolError{err}}
	}
	for {
		var m workerMsg
		if err := dec.Decode(&m); err != nil {
			return answer{err: protocolError{err}}
		}
		switch {
		case m.Import != nil:
			b, foundAt, err := lookup(m.Import.From, m.Import.Path)
			r := importResp{Data: b, FoundAt: foundAt}
			if err != nil {
				r.Error = httperr.Message(err)
				if r.Error == "internal error" {
					r.Error = err.Error()
				}
			}
			if err := enc.Encode(r); err != nil {
				return answer{err: protocolError{err}}
			}
		case m.Result != nil:
			return answer{out: *m.Result}
		default:
			return answer{err: errors.New(m.Error)}
		}
	}
}

// cappedReader reads at most n bytes; n goes negative when more came.
type cappedReader struct {
	r io.Reader
	n int64
}

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.n <= 0 {
		c.n = -1
		return 0, errors.New("answer too large")
	}
	if int64(len(p)) > c.n {
		p = p[:c.n]
	}
	k, err := c.r.Read(p)
	c.n -= int64(k)
	return k, err
}

// limitedWriter keeps the first n bytes written.
type limitedWriter struct {
	w io.Writer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.n > 0 {
		k := min(len(p), l.n)
		l.w.Write(p[:k])
		l.n -= k
	}
	return len(p), nil
}
