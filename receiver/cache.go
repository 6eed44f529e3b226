package receiver

import (
	"container/list"
	"context"
	"sync"
)

// cache is a bounded least-recently-used cache of fetched values keyed by
// URL. Concurrent misses for one key share a single fetch; failed fetches are
// not cached.
type cache[V any] struct {
	max int

	mu    sync.Mutex
	order *list.List               // of *cacheEntry[V], most recent first
	items map[string]*list.Element // key → element of order
	calls map[string]*cacheCall[V] // fetches in flight
}

type cacheEntry[V any] struct {
	key string
	val V
}

// cacheCall is one fetch in flight; done is closed when val and err are set.
type cacheCall[V any] struct {
	done chan struct{}
	val  V
	err  error
}

// newCache returns a cache holding at most size values (at least 1).
func newCache[V any](size int) *cache[V] {
	return &cache[V]{
		max:   max(size, 1),
		order: list.New(),
		items: map[string]*list.Element{},
		calls: map[string]*cacheCall[V]{},
	}
}

// get returns the cached value for key, or runs fetch once for all callers
// that miss at the same time. fetch runs in its own goroutine, so a caller
// whose ctx ends stops waiting without cancelling the others; fetch must
// bound its own duration.
func (c *cache[V]) get(ctx context.Context, key string, fetch func() (V, error)) (V, error) {
	c.mu.Lock()
	if el, ok := c.items[key]; ok {
		c.order.MoveToFront(el)
		v := el.Value.(*cacheEntry[V]).val
		c.mu.Unlock()
		return v, nil
	}
	call, ok := c.calls[key]
	if !ok {
		call = &cacheCall[V]{done: make(chan struct{})}
		c.calls[key] = call
		go c.run(key, call, fetch)
	}
	c.mu.Unlock()
	select {
	case <-call.done:
		return call.val, call.err
	case <-ctx.Done():
		var zero V
		return zero, ctx.Err()
	}
}

// run performs one fetch and stores its value on success.
func (c *cache[V]) run(key string, call *cacheCall[V], fetch func() (V, error)) {
	call.val, call.err = fetch()
	c.mu.Lock()
	delete(c.calls, key)
	if call.err == nil {
		c.items[key] = c.order.PushFront(&cacheEntry[V]{key: key, val: call.val})
		for c.order.Len() > c.max {
			oldest := c.order.Back()
			c.order.Remove(oldest)
			delete(c.items, oldest.Value.(*cacheEntry[V]).key)
		}
	}
	c.mu.Unlock()
	close(call.done)
}

// len returns the number of cached values.
func (c *cache[V]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
