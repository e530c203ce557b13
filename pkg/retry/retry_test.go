package retry

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestDoStopsAtTheDeadlineNotACount(t *testing.T) {
	p := Policy{BaseDelay: time.Millisecond, MaxDelay: 4 * time.Millisecond, Deadline: 150 * time.Millisecond}
	start, tries := time.Now(), 0
	err := p.Do(context.Background(), func(context.Context) (bool, error) { tries++; return true, errors.New("away") })
	took := time.Since(start)
	if err == nil || err.Error() != "away" {
		t.Fatalf("err = %v, want the last error", err)
	}
	// With waits of at most 4 ms, 150 ms of retrying is dozens of tries, not a handful.
	if took < 100*time.Millisecond || took > time.Second || tries < 30 {
		t.Errorf("tried %d times over %s; want retries for the whole 150 ms deadline", tries, took)
	}
}

func TestDoStopsOnSuccessPermanentErrorAndContext(t *testing.T) {
	p := Policy{BaseDelay: time.Millisecond, MaxDelay: time.Millisecond, Deadline: time.Minute}
	tries := 0
	if err := p.Do(context.Background(), func(context.Context) (bool, error) {
		tries++
		if tries < 3 {
			return true, errors.New("away")
		}
		return false, nil
	}); err != nil || tries != 3 {
		t.Errorf("success on the third try: err %v after %d tries", err, tries)
	}
	permanent := errors.New("refused")
	if err := p.Do(context.Background(), func(context.Context) (bool, error) { return false, permanent }); err != permanent {
		t.Errorf("permanent error: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := p.Do(ctx, func(context.Context) (bool, error) { return true, errors.New("away") }); err == nil {
		t.Error("no error when the context ended")
	}
}

func TestDelayDoublesUpToTheCapWithJitter(t *testing.T) {
	p := Policy{BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}
	for attempt, want := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 50: time.Second} {
		for range 20 {
			if d := p.Delay(attempt); d < want/2 || d > want {
				t.Errorf("Delay(%d) = %s, want within [%s, %s]", attempt, d, want/2, want)
			}
		}
	}
}
