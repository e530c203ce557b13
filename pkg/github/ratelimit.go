package github

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// verdict is what one response (or transport error) asks of the retrying transport.
type verdict struct {
	retry  bool
	reason string // for logs and metrics: server_error, connection, rate_limit, secondary_rate_limit
	// wait is what GitHub asked for (Retry-After, X-RateLimit-Reset); zero means "back off
	// exponentially".
	wait time.Duration
	// floor is the least wait when GitHub asked for none (secondary limits want a minute).
	floor time.Duration
}

// judge decides whether a try failed in a way worth repeating. writeSafe says whether
// the request may be repeated after GitHub may have acted on it.
func judge(resp *http.Response, err error, writeSafe bool, p RetryPolicy, now time.Time) verdict {
	if err != nil {
		return verdict{retry: writeSafe, reason: "connection"}
	}
	switch code := resp.StatusCode; {
	case code == http.StatusTooManyRequests:
		return rateLimitVerdict(resp, "rate_limit", p, now)
	case code == http.StatusForbidden:
		if limited, reason := isRateLimited(resp); limited {
			return rateLimitVerdict(resp, reason, p, now)
		}
	case code >= 500 && code != http.StatusNotImplemented:
		return verdict{retry: writeSafe, reason: "server_error", wait: retryAfter(resp.Header, now)}
	}
	return verdict{}
}

// rateLimitVerdict: a rate-limited request was not acted on, so any method may be retried.
func rateLimitVerdict(resp *http.Response, reason string, p RetryPolicy, now time.Time) verdict {
	v := verdict{retry: true, reason: reason}
	if d := retryAfter(resp.Header, now); d > 0 {
		v.wait = d
	} else if d := untilReset(resp.Header, now); d > 0 {
		v.wait = d
	} else {
		v.floor = p.RateLimitWait
	}
	return v
}

// isRateLimited tells a rate-limit 403 from a permission 403. GitHub marks the primary
// limit by X-RateLimit-Remaining: 0, the secondary one by Retry-After or by its message.
func isRateLimited(resp *http.Response) (bool, string) {
	if resp.Header.Get("X-RateLimit-Remaining") == "0" {
		return true, "rate_limit"
	}
	if resp.Header.Get("Retry-After") != "" {
		return true, "secondary_rate_limit"
	}
	body := peekBody(resp, 64<<10)
	if bytes.Contains(bytes.ToLower(body), []byte("rate limit")) {
		return true, "secondary_rate_limit"
	}
	return false, ""
}

// peekBody reads up to max bytes of the body and puts them back, so the caller still
// sees the whole response.
func peekBody(resp *http.Response, max int64) []byte {
	if resp.Body == nil {
		return nil
	}
	head, _ := io.ReadAll(io.LimitReader(resp.Body, max))
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), resp.Body), resp.Body}
	return head
}

// retryAfter reads Retry-After, in seconds or as an HTTP date.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// untilReset reads X-RateLimit-Reset (epoch seconds) when the quota is spent.
func untilReset(h http.Header, now time.Time) time.Duration {
	if h.Get("X-RateLimit-Remaining") != "0" {
		return 0
	}
	epoch, err := strconv.ParseInt(strings.TrimSpace(h.Get("X-RateLimit-Reset")), 10, 64)
	if err != nil {
		return 0
	}
	// GitHub's clock and ours differ by a little; a second more avoids waking too early.
	if d := time.Unix(epoch, 0).Sub(now) + time.Second; d > 0 {
		return d
	}
	return 0
}
