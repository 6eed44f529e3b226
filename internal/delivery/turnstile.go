package delivery

import (
	"context"
	"sync"
	"time"
)

// turnstiles let a few direct sends per subscription at a time try the
// gate, the others waiting their turn in order. The queue's workers do
// this by their number: a burst of 300 deliveries for one subscription
// meets the gate 8 workers at a time, and the gate's own short queue
// hands each freed slot to the next. 300 direct sends meeting it at once
// would find the queue full and be told to come back after an estimate
// of the whole burst's time, leaving the slots idle meanwhile.
type turnstiles struct {
	mu   sync.Mutex
	subs map[int64]*turnstile
}

// turnstile is one subscription's: its places, and how many sends hold
// or wait for one (the entry goes when nobody does).
type turnstile struct {
	places chan struct{}
	users  int
}

// enter waits up to wait for one of sub's size places; leave gives it back.
// ok is false when wait or ctx ended first.
func (ts *turnstiles) enter(ctx context.Context, sub int64, size int, wait time.Duration) (leave func(), ok bool) {
	ts.mu.Lock()
	if ts.subs == nil {
		ts.subs = map[int64]*turnstile{}
	}
	t := ts.subs[sub]
	if t == nil {
		t = &turnstile{places: make(chan struct{}, size)}
		ts.subs[sub] = t
	}
	t.users++
	ts.mu.Unlock()
	out := func() {
		ts.mu.Lock()
		if t.users--; t.users == 0 {
			delete(ts.subs, sub)
		}
		ts.mu.Unlock()
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case t.places <- struct{}{}:
		return func() { <-t.places; out() }, true
	case <-timer.C:
	case <-ctx.Done():
	}
	out()
	return nil, false
}
