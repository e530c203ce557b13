// Package queue is Rigger's bounded in-process work queue. The webhook handler enqueues events
// and answers at once; workers hand them to the trigger. Events with the same key (one
// repository) are handled one at a time in arrival order, so a push and the pull request it
// updates cannot race each other; different keys run in parallel.
package queue

import (
	"context"
	"errors"
	"sync"

	"go.uber.org/zap"
)

var (
	// ErrFull is returned by Enqueue when capacity items are already waiting. The caller must
	// tell its sender to retry (the webhook answers 503); nothing is dropped silently.
	ErrFull = errors.New("queue is full")
	// ErrClosed is returned by Enqueue once Shutdown has begun.
	ErrClosed = errors.New("queue is shut down")
)

// Keyed is an item of the queue: items with equal keys are handled in order, never concurrently.
type Keyed interface{ Key() string }

// Queue is a bounded queue with per-key ordering. Its zero value is not usable: call New.
type Queue[T Keyed] struct {
	handle   func(ctx context.Context, item T)
	capacity int
	log      *zap.Logger
	ctx      context.Context // passed to handle; cancelled when Shutdown gives up waiting
	cancel   context.CancelFunc
	workers  sync.WaitGroup

	mu        sync.Mutex
	cond      *sync.Cond
	pending   map[string][]T  // items not yet started, per key, in arrival order
	active    map[string]bool // keys with an item being handled
	ready     []string        // keys with pending items and none active, oldest first
	waiting   int             // total of pending items
	closed    bool            // Shutdown began: no new items
	abandoned bool            // Shutdown gave up: workers stop taking items
}

// Option configures a Queue.
type Option func(*options)

type options struct{ log *zap.Logger }

// WithLogger sets the logger that reports recovered panics and abandoned items.
func WithLogger(l *zap.Logger) Option { return func(o *options) { o.log = l } }

// New starts a queue holding at most capacity waiting items (items being handled do not count),
// handled by up to workers goroutines calling handle. Values below 1 are taken as 1.
func New[T Keyed](capacity, workers int, handle func(ctx context.Context, item T), opts ...Option) *Queue[T] {
	o := options{log: zap.NewNop()}
	for _, opt := range opts {
		opt(&o)
	}
	ctx, cancel := context.WithCancel(context.Background())
	q := &Queue[T]{
		handle:   handle,
		capacity: max(capacity, 1),
		log:      o.log,
		ctx:      ctx,
		cancel:   cancel,
		pending:  map[string][]T{},
		active:   map[string]bool{},
	}
	q.cond = sync.NewCond(&q.mu)
	for range max(workers, 1) {
		q.workers.Add(1)
		go q.work()
	}
	return q
}

// Enqueue adds item behind the other items of its key. It never blocks: it returns ErrFull when
// the queue holds capacity waiting items, ErrClosed after Shutdown.
func (q *Queue[T]) Enqueue(item T) error {
	key := item.Key()
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return ErrClosed
	}
	if q.waiting >= q.capacity {
		return ErrFull
	}
	q.pending[key] = append(q.pending[key], item)
	q.waiting++
	if !q.active[key] && len(q.pending[key]) == 1 {
		q.ready = append(q.ready, key)
		q.cond.Signal()
	}
	return nil
}

// Depth is the number of items waiting to be handled (not counting those being handled).
func (q *Queue[T]) Depth() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.waiting
}

// InFlight is the number of items being handled right now.
func (q *Queue[T]) InFlight() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.active)
}

// Shutdown stops accepting items and waits until every accepted item has been handled. If ctx
// ends first, it cancels the context handlers run with, lets the workers stop without taking
// further items, and returns ctx's error; the items still waiting are dropped and logged.
func (q *Queue[T]) Shutdown(ctx context.Context) error {
	q.mu.Lock()
	q.closed = true
	q.cond.Broadcast()
	q.mu.Unlock()

	drained := make(chan struct{})
	go func() {
		q.workers.Wait()
		close(drained)
	}()
	select {
	case <-drained:
		q.cancel()
		return nil
	case <-ctx.Done():
		q.mu.Lock()
		q.abandoned = true
		dropped := q.waiting
		q.cond.Broadcast()
		q.mu.Unlock()
		q.cancel()
		q.log.Warn("queue shutdown timed out; waiting items dropped", zap.Int("dropped", dropped), zap.Error(ctx.Err()))
		return ctx.Err()
	}
}
