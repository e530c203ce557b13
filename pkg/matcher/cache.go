package matcher

import (
	"container/list"
	"sync"
)

// boundedCache remembers the most recently used values by key, at most max of them. The
// keys here are annotation texts written in pull requests: without a bound, anyone could
// grow the server's memory by pushing new expressions.
type boundedCache[V any] struct {
	mu      sync.Mutex
	max     int
	order   *list.List // front is the most recently used
	entries map[string]*list.Element
}

type cacheEntry[V any] struct {
	key   string
	value V
}

func newBoundedCache[V any](max int) *boundedCache[V] {
	return &boundedCache[V]{max: max, order: list.New(), entries: map[string]*list.Element{}}
}

// get returns the value for key, making it with make on a miss. make runs outside the lock,
// so a slow compile does not hold up other events; two callers racing on one new key both
// make it and the first stored wins.
func (c *boundedCache[V]) get(key string, make func(string) V) V {
	c.mu.Lock()
	if el, ok := c.entries[key]; ok {
		c.order.MoveToFront(el)
		v := el.Value.(*cacheEntry[V]).value
		c.mu.Unlock()
		return v
	}
	c.mu.Unlock()

	v := make(key)

	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[key]; ok {
		c.order.MoveToFront(el)
		return el.Value.(*cacheEntry[V]).value
	}
	c.entries[key] = c.order.PushFront(&cacheEntry[V]{key: key, value: v})
	for c.order.Len() > c.max {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.entries, oldest.Value.(*cacheEntry[V]).key)
	}
	return v
}

func (c *boundedCache[V]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
