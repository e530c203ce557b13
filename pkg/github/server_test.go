package github

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// call is one request the test server saw.
type call struct {
	Method, Path, Query, Auth string
	Body                      string
}

// apiServer is a loopback GitHub stand-in whose handler the test writes, recording
// every request.
type apiServer struct {
	*httptest.Server
	mu    sync.Mutex
	calls []call
}

func newAPIServer(t *testing.T, h http.HandlerFunc) *apiServer {
	t.Helper()
	s := &apiServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.calls = append(s.calls, call{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Authorization"), string(b)})
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		h(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *apiServer) Calls() []call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]call(nil), s.calls...)
}

// fastRetry keeps tests quick while still exercising every wait.
var fastRetry = RetryPolicy{
	MaxAttempts:   4,
	BaseDelay:     time.Millisecond,
	MaxDelay:      5 * time.Millisecond,
	RateLimitWait: 10 * time.Millisecond,
	Deadline:      3 * time.Second,
}

func newTokenClient(t *testing.T, url string) (*Client, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	c, err := New(Config{APIURL: url, Token: "pat-123", Retry: fastRetry}, nil, reg)
	if err != nil {
		t.Fatal(err)
	}
	return c, reg
}
