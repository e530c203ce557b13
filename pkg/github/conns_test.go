package github

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Over HTTP/1.1 a burst of concurrent calls holds one connection per call; the connections
// stay open for the next burst instead of being dialled again for each call.
func TestBurstsReuseConnectionsOverHTTP1(t *testing.T) {
	const concurrent = 32
	var inFlight sync.WaitGroup
	release := make(chan struct{})
	var dialled atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inFlight.Done()
		<-release // every call of the burst is open at once
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(blobJSON))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			dialled.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	c, _ := newTokenClient(t, srv.URL)
	burst := func() {
		inFlight.Add(concurrent)
		release = make(chan struct{})
		var done sync.WaitGroup
		for range concurrent {
			done.Add(1)
			go func() {
				defer done.Done()
				if _, err := c.Blob(context.Background(), "acme", "widgets", "b1"); err != nil {
					t.Error(err)
				}
			}()
		}
		inFlight.Wait()
		close(release)
		done.Wait()
	}
	burst()
	first := dialled.Load()
	time.Sleep(50 * time.Millisecond) // the last responses' connections go back to the pool
	burst()
	if first != concurrent {
		t.Fatalf("the first burst dialled %d connections, want %d (one per concurrent call)", first, concurrent)
	}
	if again := dialled.Load() - first; again > 2 {
		t.Errorf("the second burst dialled %d new connections; the first burst's %d should have been reused", again, concurrent)
	}
}
