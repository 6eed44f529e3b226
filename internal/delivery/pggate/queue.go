package pggate

import (
	"context"
	"time"

	"github.com/ivvy-notify/ivvy-notify/internal/delivery"
)

// pollEvery is how often a queued delivery tries the database for a slot
// when its own node has released none: slots freed by other nodes are not
// signalled.
const pollEvery = 100 * time.Millisecond

// handOffFor is how long a slot may pass from one of this node's
// deliveries to the next without going back to the database (sparing two
// statements a delivery under load). Past it the slot is freed, so other
// nodes get their turn at a busy subscription; the lease must outlast the
// longest request by this much.
const handOffFor = time.Second

// lease is a slot this node holds, and when it took it from the database.
type lease struct {
	slot  int
	taken time.Time
}

// noLease is no slot; sent to a queued delivery, it means "try the
// database".
var noLease = lease{slot: -1}

// local is this node's view of a subscription: its deliveries queued for
// a slot, and when it last took or released one.
type local struct {
	// queue holds a channel per queued delivery, first come first served.
	// A release takes the first off the queue and sends it the slot, or
	// noLease when the slot went back to the database.
	queue []chan lease
	moved time.Time
}

// await queues a delivery refused a slot of sub for the next one when it
// should come soon (delivery.WaitEstimator.MayQueue, judged by this node's
// own slots and requests). It returns noLease when none came in time.
func (g *Gate) await(ctx context.Context, sub int64, maxInFlight int) (lease, error) {
	deadline := time.Now().Add(delivery.MaxQueueWait)
	turn := g.enqueue(sub, maxInFlight)
	if turn == nil {
		return noLease, nil
	}
	poll := time.NewTimer(pollEvery)
	defer poll.Stop()
	for {
		var l lease
		var err error
		select {
		case l = <-turn: // taken off the queue
			if l.slot >= 0 {
				return l, nil
			}
			l, err = g.take(ctx, sub, maxInFlight)
		case <-poll.C:
			// Still queued while it tries the database: a slot handed to
			// it meanwhile is kept if the database had none, else passed on.
			l, err = g.take(ctx, sub, maxInFlight)
			if handed, ok := g.leave(sub, turn); ok && handed.slot >= 0 {
				if l.slot < 0 {
					return handed, nil // whatever the database said
				}
				g.release(sub, handed)
			}
		case <-ctx.Done():
			if handed, ok := g.leave(sub, turn); ok && handed.slot >= 0 {
				g.release(sub, handed)
			}
			return noLease, nil
		}
		left := time.Until(deadline)
		if err != nil || l.slot >= 0 || left <= 0 {
			return l, err
		}
		g.enqueueTurn(sub, turn)
		poll.Reset(min(pollEvery, left))
	}
}

// enqueue adds a turn to sub's queue, or returns nil when the delivery
// should not queue.
func (g *Gate) enqueue(sub int64, maxInFlight int) chan lease {
	g.mu.Lock()
	defer g.mu.Unlock()
	l := g.local(sub)
	if !g.waits.MayQueue(sub, len(l.queue), maxInFlight, l.moved, time.Now()) {
		return nil
	}
	turn := make(chan lease, 1)
	l.queue = append(l.queue, turn)
	return turn
}

// queued reports whether deliveries to sub are queued on this node.
func (g *Gate) queued(sub int64) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.local(sub).queue) > 0
}

// enqueueTurn puts back at the head of the queue a turn that tried the
// database and found no slot.
func (g *Gate) enqueueTurn(sub int64, turn chan lease) {
	g.mu.Lock()
	defer g.mu.Unlock()
	l := g.local(sub)
	l.queue = append([]chan lease{turn}, l.queue...)
}

// leave takes turn off sub's queue. If a release already took it off, what
// the release sent is returned, with true.
func (g *Gate) leave(sub int64, turn chan lease) (lease, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	l := g.local(sub)
	for i, c := range l.queue {
		if c == turn {
			l.queue = append(l.queue[:i], l.queue[i+1:]...)
			return noLease, false
		}
	}
	return <-turn, true
}

// handOff gives a lease to the first delivery queued for sub, if there is
// one and the lease is young enough; it reports whether it did.
func (g *Gate) handOff(sub int64, l lease) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.local(sub)
	s.moved = time.Now()
	if len(s.queue) == 0 || time.Since(l.taken) >= handOffFor {
		return false
	}
	s.next(l)
	return true
}

// took records that this node took a slot of sub from the database.
func (g *Gate) took(sub int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.local(sub).moved = time.Now()
}

// freed tells the first delivery queued for sub, if any, to try the
// database: this node just freed a slot there.
func (g *Gate) freed(sub int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if s := g.local(sub); len(s.queue) > 0 {
		s.next(noLease)
	}
}

// next takes the first turn off the queue and sends it l; g.mu is held.
func (s *local) next(l lease) {
	s.queue[0] <- l
	s.queue = s.queue[1:]
}

// local returns sub's state; g.mu is held.
func (g *Gate) local(sub int64) *local {
	l := g.subs[sub]
	if l == nil {
		l = &local{}
		g.subs[sub] = l
	}
	return l
}
