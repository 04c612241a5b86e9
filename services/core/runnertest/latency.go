package runnertest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/drone/drone-go/drone"
	"github.com/drone/runner-go/client"
)

// The latency probes act as a runner with runner-go's own client, so a
// test can time what crosses between core replicas: c talks to one
// replica while the change is made through another.

// Dispatch parks a poll of c for f, then calls create, which makes a
// stage pending elsewhere, and returns the stage the poll got and how long
// after create began it arrived.
func Dispatch(ctx context.Context, c *client.HTTPClient, f *client.Filter, create func() error) (*drone.Stage, time.Duration, error) {
	type result struct {
		stage *drone.Stage
		at    time.Time
		err   error
	}
	got := make(chan result, 1)
	go func() {
		st, err := c.Request(ctx, f)
		got <- result{st, time.Now(), err}
	}()
	time.Sleep(20 * time.Millisecond) // the poll is parked
	t0 := time.Now()
	if err := create(); err != nil {
		return nil, 0, err
	}
	r := <-got
	if r.err == nil && (r.stage == nil || r.stage.ID == 0) {
		r.err = errors.New("the poll ended without a stage")
	}
	return r.stage, r.at.Sub(t0), r.err
}

// Cancel parks a watch of c on build, then calls cancel, and returns how
// long after cancel began the watch reported the build cancelled.
func Cancel(ctx context.Context, c *client.HTTPClient, build int64, cancel func() error) (time.Duration, error) {
	type result struct {
		cancelled bool
		at        time.Time
		err       error
	}
	got := make(chan result, 1)
	go func() {
		done, err := c.Watch(ctx, build)
		got <- result{done, time.Now(), err}
	}()
	time.Sleep(100 * time.Millisecond) // the watch is parked
	t0 := time.Now()
	if err := cancel(); err != nil {
		return 0, err
	}
	r := <-got
	if r.err == nil && !r.cancelled {
		r.err = errors.New("the watch ended without the cancel")
	}
	return r.at.Sub(t0), r.err
}

// LiveLog opens Drone's SSE log stream at streamURL with token as a
// viewer, sends n one-line batches of the running step through c, and
// returns how long each line took to reach the viewer. Each line must
// arrive within wait.
func LiveLog(ctx context.Context, c *client.HTTPClient, step int64, streamURL, token string, n int, wait time.Duration) ([]time.Duration, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, streamURL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("stream %s: status %d", streamURL, res.StatusCode)
	}
	seen := make(chan string, 100)
	go func() {
		defer close(seen)
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if line, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				seen <- line
			}
		}
	}()
	var lat []time.Duration
	for i := range n {
		marker := fmt.Sprintf("latency-probe-%03d", i)
		t0 := time.Now()
		if err := c.Batch(ctx, step, []*drone.Line{{Number: i, Message: marker + "\n"}}); err != nil {
			return lat, err
		}
		for arrived := false; !arrived; {
			select {
			case line, ok := <-seen:
				if !ok {
					return lat, errors.New("the stream ended")
				}
				arrived = strings.Contains(line, marker)
			case <-time.After(wait):
				return lat, fmt.Errorf("line %d did not reach the viewer within %v", i, wait)
			}
		}
		lat = append(lat, time.Since(t0))
	}
	return lat, nil
}

// RunOneStep starts a stage the runner got: it accepts it as machine and report it
// running with one running step, whose id it returns (for LiveLog).
func RunOneStep(ctx context.Context, c *client.HTTPClient, st *drone.Stage, machine string) (int64, error) {
	st.Machine = machine
	if err := c.Accept(ctx, st); err != nil {
		return 0, err
	}
	st.Steps = []*drone.Step{{Number: 1, StageID: st.ID, Name: "probe", Status: drone.StatusPending}}
	st.Status, st.Started = drone.StatusRunning, time.Now().Unix()
	if err := c.Update(ctx, st); err != nil {
		return 0, err
	}
	step := st.Steps[0]
	step.Status, step.Started = drone.StatusRunning, time.Now().Unix()
	if err := c.UpdateStep(ctx, step); err != nil {
		return 0, err
	}
	return step.ID, nil
}

// Summary sorts lat and reports its median, its 99th percentile (the
// worst below 100 samples) and its worst.
func Summary(lat []time.Duration) (median, p99, worst time.Duration) {
	if len(lat) == 0 {
		return 0, 0, 0
	}
	slices.Sort(lat)
	worst = lat[len(lat)-1]
	p99 = worst
	if len(lat) >= 100 {
		p99 = lat[len(lat)*99/100]
	}
	return lat[len(lat)/2], p99, worst
}
