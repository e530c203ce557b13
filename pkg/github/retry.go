package github

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"go.uber.org/zap"
)

// retryTransport sends a request again when GitHub fails (5xx, broken connection) or
// rate-limits it (429, 403 with a rate-limit mark), with capped exponential backoff and
// jitter, honouring what GitHub asks for in Retry-After and X-RateLimit-Reset. When it
// gives up it returns GitHub's last answer, so go-github turns it into a typed error.
type retryTransport struct {
	next     http.RoundTripper
	basePath string
	policy   RetryPolicy
	log      *zap.Logger
	m        *metrics
	now      func() time.Time
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := readBody(req)
	if err != nil {
		return nil, err
	}
	ctx := req.Context()
	route := routeOf(t.basePath, req.URL.Path)
	writeSafe := safeToRetry(req.Method, route)
	var waited time.Duration
	for attempt := 1; ; attempt++ {
		resp, err := t.next.RoundTrip(withBody(req, body))
		if ctx.Err() != nil {
			if resp != nil {
				resp.Body.Close()
			}
			return nil, ctx.Err()
		}
		v := judge(resp, err, writeSafe, t.policy, t.now())
		if !v.retry || (t.policy.MaxAttempts > 0 && attempt >= t.policy.MaxAttempts) {
			return resp, err
		}
		wait := v.wait
		if wait == 0 {
			wait = max(t.backoff(attempt), v.floor)
		}
		if waited+wait > t.policy.Deadline {
			// Waiting longer would hold a worker hostage; the caller requeues instead.
			return resp, err
		}
		t.log.Debug("retrying GitHub request",
			zap.String("endpoint", endpoint(req.Method, route)), zap.String("reason", v.reason),
			zap.Int("attempt", attempt), zap.Duration("wait", wait), zap.Error(err))
		t.m.retries.WithLabelValues(endpoint(req.Method, route), v.reason).Inc()
		if resp != nil {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
		waited += wait
	}
}

// backoff is the wait after the attempt-th try (see retry.Policy.Delay).
func (t *retryTransport) backoff(attempt int) time.Duration {
	return t.policy.backoff().Delay(attempt)
}

// readBody buffers the request body so every attempt can send it again.
func readBody(req *http.Request) ([]byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	defer req.Body.Close()
	b, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, fmt.Errorf("github: reading request body: %w", err)
	}
	return b, nil
}

// withBody clones req for one attempt (a RoundTripper must not change its request).
func withBody(req *http.Request, body []byte) *http.Request {
	r := req.Clone(req.Context())
	if body == nil {
		r.Body = nil
		if req.Body == http.NoBody {
			r.Body = http.NoBody
		}
		return r
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	r.ContentLength = int64(len(body))
	return r
}

func sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
