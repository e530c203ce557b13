package queue

import (
	"context"
	"strconv"
	"sync"
	"testing"
)

// BenchmarkEnqueueToHandle measures items per second from Enqueue to the end of handle, spread
// over 16 keys and 4 workers. Compare with BenchmarkChannelBaseline, a bare buffered channel
// with the same worker count and no ordering, measured in the same run.
func BenchmarkEnqueueToHandle(b *testing.B) {
	keys := make([]string, 16)
	for i := range keys {
		keys[i] = "owner/repo" + strconv.Itoa(i)
	}
	var wg sync.WaitGroup
	q := New(b.N, 4, func(context.Context, job) { wg.Done() })
	wg.Add(b.N)
	b.ResetTimer()
	for i := range b.N {
		if err := q.Enqueue(job{key: keys[i%len(keys)], seq: i}); err != nil {
			b.Fatal(err)
		}
	}
	wg.Wait()
	b.StopTimer()
	_ = q.Shutdown(context.Background())
}

func BenchmarkChannelBaseline(b *testing.B) {
	ch := make(chan job, b.N)
	var wg sync.WaitGroup
	wg.Add(b.N)
	for range 4 {
		go func() {
			for range ch {
				wg.Done()
			}
		}()
	}
	b.ResetTimer()
	for i := range b.N {
		ch <- job{seq: i}
	}
	wg.Wait()
	b.StopTimer()
	close(ch)
}
