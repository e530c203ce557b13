package queue

import (
	"fmt"
	"runtime/debug"

	"go.uber.org/zap"
)

// work runs items until the queue is shut down and drained (or abandoned).
func (q *Queue[T]) work() {
	defer q.workers.Done()
	for {
		key, item, ok := q.next()
		if !ok {
			return
		}
		q.run(key, item)
		q.finish(key)
	}
}

// next takes the oldest item of the key that has waited longest, and marks that key active so
// no other worker takes its next item before this one is done.
func (q *Queue[T]) next() (key string, item T, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.ready) == 0 && !q.abandoned && !(q.closed && q.waiting == 0) {
		q.cond.Wait()
	}
	if q.abandoned || len(q.ready) == 0 {
		return "", item, false
	}
	key = q.ready[0]
	q.ready = q.ready[1:]
	items := q.pending[key]
	item = items[0]
	var zero T
	items[0] = zero // let the handled item be collected
	if len(items) == 1 {
		delete(q.pending, key)
	} else {
		q.pending[key] = items[1:]
	}
	q.waiting--
	q.active[key] = true
	return key, item, true
}

// finish releases key and, if more of its items wait, puts it back in line behind other keys.
func (q *Queue[T]) finish(key string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.active, key)
	if len(q.pending[key]) > 0 {
		q.ready = append(q.ready, key)
		q.cond.Signal()
	}
	if q.closed && q.waiting == 0 {
		q.cond.Broadcast() // idle workers can exit now
	}
}

// run calls handle, turning a panic into a log line so one bad event cannot stop a worker.
func (q *Queue[T]) run(key string, item T) {
	defer func() {
		if r := recover(); r != nil {
			q.log.Error("queue handler panicked",
				zap.String("key", key),
				zap.String("panic", fmt.Sprint(r)),
				zap.ByteString("stack", debug.Stack()))
		}
	}()
	q.handle(q.ctx, item)
}
