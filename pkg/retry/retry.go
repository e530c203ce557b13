// Package retry is Rigger's one way of trying again what failed for a reason that may pass
// (GitHub or the cluster away, a rate limit): waits that double from a base up to a cap,
// with jitter, until a deadline. A deadline, not a count of attempts, so that "retried for
// ten minutes" means ten minutes whatever the waits were.
package retry

import (
	"context"
	"math/rand/v2"
	"time"
)

// Policy says how long to keep trying and how long to wait between tries.
type Policy struct {
	// BaseDelay is the first wait; each try doubles it, up to MaxDelay.
	BaseDelay time.Duration `mapstructure:"baseDelay"`
	MaxDelay  time.Duration `mapstructure:"maxDelay"`
	// Deadline is how long after the first try the last one may start.
	Deadline time.Duration `mapstructure:"deadline"`
}

// Delay is the wait after the attempt-th try (1-based): BaseDelay doubled per try, capped
// at MaxDelay, with "equal jitter" (half fixed, half random), so that replicas which failed
// together do not come back together.
func (p Policy) Delay(attempt int) time.Duration {
	d := p.BaseDelay << min(max(attempt-1, 0), 30)
	if d <= 0 || d > p.MaxDelay {
		d = p.MaxDelay
	}
	half := d / 2
	return half + rand.N(half+1)
}

// Do calls fn until it reports done, returns a permanent error (retry false), the deadline
// passes or ctx ends. It returns nil when done, else the last error (ctx's if it ended
// before any). fn says whether its error is worth another try.
func (p Policy) Do(ctx context.Context, fn func(ctx context.Context) (retry bool, err error)) error {
	start := time.Now()
	for attempt := 1; ; attempt++ {
		again, err := fn(ctx)
		if err == nil || !again {
			return err
		}
		wait := p.Delay(attempt)
		if time.Since(start)+wait > p.Deadline {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}
