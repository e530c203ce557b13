package github

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	gh "github.com/google/go-github/v62/github"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

const blobJSON = `{"sha":"b1","size":5,"encoding":"base64","content":"aGVs\nbG8=\n"}`

// failFirst answers the first n requests with fail, then with ok.
func failFirst(n int32, fail, ok http.HandlerFunc) http.HandlerFunc {
	var seen atomic.Int32
	return func(w http.ResponseWriter, r *http.Request) {
		if seen.Add(1) <= n {
			fail(w, r)
			return
		}
		ok(w, r)
	}
}

func status(code int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(code)
		w.Write([]byte(`{"message":"` + http.StatusText(code) + `"}`))
	}
}

func body(s string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(s)) }
}

func TestRetriesServerErrorsAndCountsEveryCall(t *testing.T) {
	srv := newAPIServer(t, failFirst(2, status(http.StatusBadGateway), body(blobJSON)))
	c, reg := newTokenClient(t, srv.URL)

	got, err := c.Blob(context.Background(), "acme", "widgets", "b1")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "hello" {
		t.Errorf("blob = %q, want hello", got)
	}
	if n := len(srv.Calls()); n != 3 {
		t.Errorf("server saw %d calls, want 3", n)
	}
	if c.Calls() != 3 {
		t.Errorf("Calls() = %d, want 3", c.Calls())
	}
	ep := "GET /repos/{owner}/{repo}/git/blobs/{sha}"
	if v := testutil.ToFloat64(c.m.calls.WithLabelValues(ep, "5xx")); v != 2 {
		t.Errorf("5xx calls = %v, want 2", v)
	}
	if v := testutil.ToFloat64(c.m.calls.WithLabelValues(ep, "2xx")); v != 1 {
		t.Errorf("2xx calls = %v, want 1", v)
	}
	// No label may carry a repository name or SHA.
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if strings.Contains(l.GetValue(), "acme") || strings.Contains(l.GetValue(), "b1") {
					t.Errorf("metric %s has raw label %q", mf.GetName(), l.GetValue())
				}
			}
		}
	}
}

func TestResendsTheSameBodyOnRetriedWrites(t *testing.T) {
	srv := newAPIServer(t, failFirst(1, status(http.StatusServiceUnavailable), body(`{"id":77}`)))
	c, _ := newTokenClient(t, srv.URL)

	err := c.UpdateCheckRun(context.Background(), "acme", "widgets", 77, gh.UpdateCheckRunOptions{Name: "Rigger / build", Status: gh.String("completed")})
	if err != nil {
		t.Fatal(err)
	}
	calls := srv.Calls()
	if len(calls) != 2 || calls[0].Body != calls[1].Body || !strings.Contains(calls[1].Body, `"Rigger / build"`) {
		t.Errorf("want the same body twice, got %+v", calls)
	}
}

func TestDoesNotRepeatUnknownWritesAfterServerError(t *testing.T) {
	srv := newAPIServer(t, status(http.StatusBadGateway))
	c, _ := newTokenClient(t, srv.URL)
	req, _ := c.tokenClient.NewRequest("POST", "repos/acme/widgets/merges", map[string]string{"base": "main"})
	_, err := c.tokenClient.Do(context.Background(), req, nil)
	if err == nil {
		t.Fatal("want an error")
	}
	if n := len(srv.Calls()); n != 1 {
		t.Errorf("server saw %d calls, want 1 (a merge must not be sent twice)", n)
	}
}

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	srv := newAPIServer(t, status(http.StatusInternalServerError))
	c, _ := newTokenClient(t, srv.URL)
	_, err := c.Blob(context.Background(), "acme", "widgets", "b1")
	var er *gh.ErrorResponse
	if !errors.As(err, &er) || er.Response.StatusCode != 500 {
		t.Fatalf("want GitHub's 500 as the error, got %v", err)
	}
	if n := len(srv.Calls()); n != fastRetry.MaxAttempts {
		t.Errorf("server saw %d calls, want %d", n, fastRetry.MaxAttempts)
	}
}

func TestHonoursRetryAfterOnSecondaryRateLimit(t *testing.T) {
	limited := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"message":"You have exceeded a secondary rate limit."}`))
	}
	srv := newAPIServer(t, failFirst(1, limited, body(`{"id":1,"state":"success"}`)))
	c, _ := newTokenClient(t, srv.URL)

	start := time.Now()
	err := c.CreateStatus(context.Background(), "acme", "widgets", "abc", gh.RepoStatus{State: gh.String("success")})
	if err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < time.Second {
		t.Errorf("retried after %v, before Retry-After's 1s", waited)
	}
	if n := len(srv.Calls()); n != 2 {
		t.Errorf("server saw %d calls, want 2", n)
	}
	if v := testutil.ToFloat64(c.m.retries.WithLabelValues("POST /repos/{owner}/{repo}/statuses/{sha}", "secondary_rate_limit")); v != 1 {
		t.Errorf("secondary rate limit retries = %v, want 1", v)
	}
}

func TestSecondaryRateLimitWithoutRetryAfterWaitsTheFloor(t *testing.T) {
	limited := func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}`))
	}
	srv := newAPIServer(t, failFirst(1, limited, body(blobJSON)))
	c, _ := newTokenClient(t, srv.URL)
	start := time.Now()
	if _, err := c.Blob(context.Background(), "acme", "widgets", "b1"); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < fastRetry.RateLimitWait {
		t.Errorf("retried after %v, want at least %v", waited, fastRetry.RateLimitWait)
	}
}

func TestPrimaryRateLimitWaitsForResetOrReturnsAtOnce(t *testing.T) {
	limitedUntil := func(reset time.Time) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-RateLimit-Limit", "5000")
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte(`{"message":"API rate limit exceeded for installation ID 1."}`))
		}
	}

	t.Run("reset beyond the total wait cap", func(t *testing.T) {
		srv := newAPIServer(t, limitedUntil(time.Now().Add(time.Hour)))
		c, _ := newTokenClient(t, srv.URL)
		start := time.Now()
		_, err := c.Blob(context.Background(), "acme", "widgets", "b1")
		var rle *gh.RateLimitError
		if !errors.As(err, &rle) {
			t.Fatalf("want a RateLimitError, got %v", err)
		}
		if n := len(srv.Calls()); n != 1 {
			t.Errorf("server saw %d calls, want 1", n)
		}
		if waited := time.Since(start); waited > time.Second {
			t.Errorf("waited %v for a reset an hour away", waited)
		}
	})

	t.Run("reset soon", func(t *testing.T) {
		// Reset is in whole seconds: at most ~2s from now, within the 3s cap.
		reset := time.Now().Add(time.Second)
		srv := newAPIServer(t, failFirst(1, limitedUntil(reset), body(blobJSON)))
		c, _ := newTokenClient(t, srv.URL)
		if _, err := c.Blob(context.Background(), "acme", "widgets", "b1"); err != nil {
			t.Fatal(err)
		}
		if time.Now().Unix() < reset.Unix() {
			t.Errorf("retried before X-RateLimit-Reset")
		}
	})
}

func TestPermissionDeniedIsNotRetried(t *testing.T) {
	srv := newAPIServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-RateLimit-Remaining", "4999")
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"message":"Resource not accessible by integration"}`))
	})
	c, _ := newTokenClient(t, srv.URL)
	if _, err := c.Blob(context.Background(), "acme", "widgets", "b1"); err == nil {
		t.Fatal("want an error")
	}
	if n := len(srv.Calls()); n != 1 {
		t.Errorf("server saw %d calls, want 1", n)
	}
}

func TestCancellationStopsTheWait(t *testing.T) {
	srv := newAPIServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "2")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	c, _ := newTokenClient(t, srv.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Blob(ctx, "acme", "widgets", "b1")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("want the context's error, got %v", err)
	}
	if waited := time.Since(start); waited > time.Second {
		t.Errorf("returned after %v, want soon after the 100ms deadline", waited)
	}
}

func TestRetriesBrokenConnections(t *testing.T) {
	var srv *apiServer
	srv = newAPIServer(t, failFirst(1, func(w http.ResponseWriter, r *http.Request) {
		// Hang up without an answer, as a dying proxy does.
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}, body(blobJSON)))
	c, _ := newTokenClient(t, srv.URL)
	if _, err := c.Blob(context.Background(), "acme", "widgets", "b1"); err != nil {
		t.Fatal(err)
	}
	if v := testutil.ToFloat64(c.m.calls.WithLabelValues("GET /repos/{owner}/{repo}/git/blobs/{sha}", "error")); v != 1 {
		t.Errorf("connection errors counted = %v, want 1", v)
	}
}
