package feed

import (
	"bufio"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hangar-ci/hangar/services/core/model"
)

// fakeStore is a Source whose answer the test sets.
type fakeStore struct {
	mu    sync.Mutex
	evs   []Event
	err   error
	since []int64
}

func (s *fakeStore) set(err error, evs ...Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.evs, s.err = evs, err
}

func (s *fakeStore) read(_ context.Context, since int64) ([]Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.since = append(s.since, since)
	return s.evs, s.err
}

func ev(build, print int64, slug string) Event {
	return Event{Build: build, Print: print, Repo: &model.Repo{Slug: slug}, Data: []byte(`{"slug":"` + slug + `","build":{"id":` + strconv.FormatInt(build, 10) + `,"p":` + strconv.FormatInt(print, 10) + `}}`)}
}

// listen opens the stream and returns its data lines as they come.
func listen(t *testing.T, url string) <-chan string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Header.Get("Content-Type"); got != "text/event-stream" {
		t.Fatalf("content type: got %q, want text/event-stream", got)
	}
	out := make(chan string, 100)
	go func() {
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				out <- d
			} else if sc.Text() == ": ping" {
				out <- "ping"
			}
		}
		close(out)
	}()
	return out
}

func next(t *testing.T, ch <-chan string) string {
	t.Helper()
	select {
	case s := <-ch:
		return s
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5 s")
		return ""
	}
}

func TestFeed(t *testing.T) {
	t.Parallel()
	st := &fakeStore{}
	st.set(nil, ev(1, 10, "octo/a"))
	allow := func(r *http.Request, repo *model.Repo) bool { return repo.Slug != "octo/secret" }
	now := time.Unix(1_000_000, 0)
	f := New(st.read, allow, Options{Every: 20 * time.Millisecond, Window: 5 * time.Second, Now: func() time.Time { return now }})
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)

	ch := listen(t, srv.URL)
	if got := next(t, ch); got != "ping" {
		t.Fatalf("first line: got %q, want the : ping comment", got)
	}
	if got, want := next(t, ch), string(ev(1, 10, "octo/a").Data); got != want {
		t.Fatalf("first event: got %s, want %s", got, want)
	}
	// Unchanged builds are not sent again; a changed print, a new build
	// and a repository the caller may not see are handled on the next read.
	st.set(nil, ev(1, 10, "octo/a"), ev(2, 5, "octo/secret"), ev(3, 7, "octo/b"))
	if got, want := next(t, ch), string(ev(3, 7, "octo/b").Data); got != want {
		t.Fatalf("second event: got %s, want %s (nothing for unchanged #1 nor the hidden repository)", got, want)
	}
	st.set(nil, ev(1, 11, "octo/a"), ev(3, 7, "octo/b"))
	if got, want := next(t, ch), string(ev(1, 11, "octo/a").Data); got != want {
		t.Fatalf("third event: got %s, want %s", got, want)
	}
	// A failing store sends nothing and loses nothing.
	st.set(errors.New("database down"))
	time.Sleep(60 * time.Millisecond)
	st.set(nil, ev(1, 12, "octo/a"))
	if got, want := next(t, ch), string(ev(1, 12, "octo/a").Data); got != want {
		t.Fatalf("after an error: got %s, want %s", got, want)
	}
	st.mu.Lock()
	since := st.since[0]
	st.mu.Unlock()
	if want := now.Add(-5 * time.Second).Unix(); since != want {
		t.Errorf("read since: got %d, want %d (now - window)", since, want)
	}
}

func TestFeedStopsPollingWithoutListeners(t *testing.T) {
	t.Parallel()
	st := &fakeStore{}
	f := New(st.read, func(*http.Request, *model.Repo) bool { return true }, Options{Every: 10 * time.Millisecond, Max: 50 * time.Millisecond})
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	ch := listen(t, srv.URL)
	for range ch { // Max ends the stream
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		f.mu.Lock()
		running := f.running
		f.mu.Unlock()
		if !running {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the poller still runs with nobody listening")
		}
		time.Sleep(10 * time.Millisecond)
	}
	st.mu.Lock()
	n := len(st.since)
	st.mu.Unlock()
	time.Sleep(50 * time.Millisecond)
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.since) != n {
		t.Errorf("reads after the last listener left: got %d more, want none", len(st.since)-n)
	}
}
