package definition

import (
	"container/list"
	"sync"
)

// lru is a least-recently-used cache bounded by the summed size of its values. Git objects
// are immutable, so entries never go stale; the bound only keeps memory in check.
type lru[V any] struct {
	mu      sync.Mutex
	max     int64
	used    int64
	sizeOf  func(V) int64
	order   *list.List // front is most recently used
	entries map[string]*list.Element
}

type lruEntry[V any] struct {
	key   string
	value V
	size  int64
}

func newLRU[V any](max int64, sizeOf func(V) int64) *lru[V] {
	return &lru[V]{max: max, sizeOf: sizeOf, order: list.New(), entries: map[string]*list.Element{}}
}

func (c *lru[V]) get(key string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[key]; ok {
		c.order.MoveToFront(el)
		return el.Value.(*lruEntry[V]).value, true
	}
	var zero V
	return zero, false
}

func (c *lru[V]) add(key string, value V) {
	size := c.sizeOf(value)
	if size > c.max {
		return // would evict everything else and then itself
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[key]; ok {
		c.order.MoveToFront(el)
		return
	}
	c.entries[key] = c.order.PushFront(&lruEntry[V]{key: key, value: value, size: size})
	c.used += size
	for c.used > c.max {
		oldest := c.order.Back()
		e := oldest.Value.(*lruEntry[V])
		c.order.Remove(oldest)
		delete(c.entries, e.key)
		c.used -= e.size
	}
}

func (c *lru[V]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
