package queue

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rigger-ci/rigger/pkg/event"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

type job struct {
	key string
	seq int
}

func (j job) Key() string { return j.key }

// waitFor fails the test if ch yields nothing within a generous deadline.
func waitFor[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		var zero T
		return zero
	}
}

func shutdown(t *testing.T, q interface{ Shutdown(context.Context) error }) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := q.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}

func TestOrderPerKeyAndNoConcurrencyWithinKey(t *testing.T) {
	const keys, perKey = 5, 200
	var mu sync.Mutex
	seen := map[string][]int{}
	var running [keys]atomic.Int32
	var overlap atomic.Bool
	q := New(keys*perKey, 4, func(_ context.Context, j job) {
		idx := int(j.key[1] - '0')
		if running[idx].Add(1) != 1 {
			overlap.Store(true)
		}
		time.Sleep(time.Microsecond) // widen the window in which a second item could overlap
		mu.Lock()
		seen[j.key] = append(seen[j.key], j.seq)
		mu.Unlock()
		running[idx].Add(-1)
	})
	for i := range perKey {
		for k := range keys {
			if err := q.Enqueue(job{key: fmt.Sprintf("k%d", k), seq: i}); err != nil {
				t.Fatalf("Enqueue: %v", err)
			}
		}
	}
	shutdown(t, q)
	if overlap.Load() {
		t.Error("two items of one key ran concurrently")
	}
	for k := range keys {
		got := seen[fmt.Sprintf("k%d", k)]
		if len(got) != perKey {
			t.Fatalf("key k%d: handled %d items, want %d", k, len(got), perKey)
		}
		for i, seq := range got {
			if seq != i {
				t.Fatalf("key k%d: item %d handled at position %d", k, seq, i)
			}
		}
	}
}

func TestDifferentKeysRunInParallel(t *testing.T) {
	started := make(chan string, 2)
	release := make(chan struct{})
	q := New(10, 2, func(_ context.Context, j job) {
		started <- j.key
		<-release // both handlers block here together, or the test times out
	})
	for _, k := range []string{"a", "b"} {
		if err := q.Enqueue(job{key: k}); err != nil {
			t.Fatal(err)
		}
	}
	first := waitFor(t, started, "first handler")
	second := waitFor(t, started, "second handler while the first is still blocked")
	if first == second {
		t.Fatalf("same key %q started twice", first)
	}
	if q.InFlight() != 2 {
		t.Errorf("InFlight = %d, want 2", q.InFlight())
	}
	close(release)
	shutdown(t, q)
}

func TestErrFullAtCapacity(t *testing.T) {
	started := make(chan int, 10)
	release := make(chan struct{})
	var handled atomic.Int32
	q := New(2, 1, func(_ context.Context, j job) {
		started <- j.seq
		<-release
		handled.Add(1)
	})
	if err := q.Enqueue(job{key: "r", seq: 0}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, started, "first item") // taken by the worker: no longer waiting
	for i := 1; i <= 2; i++ {
		if err := q.Enqueue(job{key: fmt.Sprint("r", i), seq: i}); err != nil {
			t.Fatalf("Enqueue %d: %v", i, err)
		}
	}
	if err := q.Enqueue(job{key: "other", seq: 3}); !errors.Is(err, ErrFull) {
		t.Fatalf("Enqueue beyond capacity = %v, want ErrFull", err)
	}
	if d := q.Depth(); d != 2 {
		t.Errorf("Depth = %d, want 2", d)
	}
	close(release)
	shutdown(t, q)
	if handled.Load() != 3 {
		t.Errorf("handled %d items, want the 3 accepted", handled.Load())
	}
	if d := q.Depth(); d != 0 {
		t.Errorf("Depth after drain = %d", d)
	}
}

func TestShutdownDrainsAcceptedItems(t *testing.T) {
	var handled atomic.Int32
	q := New(100, 3, func(context.Context, job) {
		time.Sleep(time.Millisecond)
		handled.Add(1)
	})
	for i := range 100 {
		if err := q.Enqueue(job{key: fmt.Sprint(i % 7), seq: i}); err != nil {
			t.Fatal(err)
		}
	}
	shutdown(t, q)
	if handled.Load() != 100 {
		t.Errorf("handled %d items after Shutdown, want 100", handled.Load())
	}
	if err := q.Enqueue(job{key: "late"}); !errors.Is(err, ErrClosed) {
		t.Errorf("Enqueue after Shutdown = %v, want ErrClosed", err)
	}
}

func TestShutdownGivesUpWhenContextEnds(t *testing.T) {
	started := make(chan struct{}, 1)
	cancelled := make(chan struct{})
	q := New(10, 1, func(ctx context.Context, j job) {
		if j.seq != 0 {
			t.Errorf("item %d handled after Shutdown gave up", j.seq)
		}
		started <- struct{}{}
		<-ctx.Done() // a handler that only stops when told to
		close(cancelled)
	})
	for i := range 3 {
		if err := q.Enqueue(job{key: "r", seq: i}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, started, "handler")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := q.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want DeadlineExceeded", err)
	}
	waitFor(t, cancelled, "handler context cancellation")
}

func TestPanicIsRecoveredAndWorkerSurvives(t *testing.T) {
	core, logs := observer.New(zap.ErrorLevel)
	var handled []int
	q := New(10, 1, func(_ context.Context, j job) {
		if j.seq == 1 {
			panic("boom")
		}
		handled = append(handled, j.seq) // one worker: no concurrent access
	}, WithLogger(zap.New(core)))
	for i := range 3 {
		if err := q.Enqueue(job{key: "r", seq: i}); err != nil {
			t.Fatal(err)
		}
	}
	shutdown(t, q)
	if fmt.Sprint(handled) != "[0 2]" {
		t.Errorf("handled %v, want [0 2] around the panic", handled)
	}
	entries := logs.FilterMessage("queue handler panicked").All()
	if len(entries) != 1 || entries[0].ContextMap()["panic"] != "boom" || entries[0].ContextMap()["key"] != "r" {
		t.Errorf("panic log entries = %+v", entries)
	}
}

func TestQueuesEvents(t *testing.T) {
	got := make(chan string, 1)
	q := New(1, 1, func(_ context.Context, ev *event.Event) { got <- ev.DeliveryID })
	ev := &event.Event{DeliveryID: "d1", Repo: event.Repo{Owner: "o", Name: "r"}}
	if err := q.Enqueue(ev); err != nil {
		t.Fatal(err)
	}
	if id := waitFor(t, got, "event"); id != "d1" {
		t.Errorf("handled delivery %q", id)
	}
	shutdown(t, q)
}
