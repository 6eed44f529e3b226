package delivery

import (
	"context"
	"sync"
	"time"
)

// Gate decides whether a delivery to a subscription may start now: it
// limits requests in flight per subscription (so one slow or dead endpoint
// cannot hold the workers every other endpoint needs) and applies the
// subscription's throttle. A refused delivery is snoozed for the wait the
// gate suggests, which frees its worker at once.
//
// LocalGate holds the limits in one process (one SQLite node); a gate
// shared by several nodes keeps them in the database (pggate).
type Gate interface {
	// Acquire takes a slot for delivery d's request to sub now. On
	// success, release must be called with the request's duration. On
	// refusal, wait says when to look again.
	Acquire(ctx context.Context, sub, d int64, maxInFlight, perSecond int) (release func(took time.Duration), wait time.Duration, ok bool, err error)
}

// Gate waits are kept within these bounds.
const (
	minGateWait = 100 * time.Millisecond
	maxGateWait = 60 * time.Second
)

// A gate queues a delivery for a busy subscription's next free slot,
// holding its worker, when the slot should come soon: at most MaxQueued
// deliveries per subscription on a node, each for at most MaxQueueWait.
// Snoozing instead costs two database writes and a fetch, and under a
// backlog it left slots idle while their deliveries slept.
const (
	MaxQueued    = 32
	MaxQueueWait = 250 * time.Millisecond
)

// WaitEstimator suggests how long a refused delivery should wait: the
// deliveries queued ahead of it, shared over the subscription's slots,
// times its usual request duration. A long queue behind a slow endpoint
// waits long, which spares the database from snoozing it over and over.
type WaitEstimator struct {
	mu   sync.Mutex
	subs map[int64]*estimate
}

type estimate struct {
	// waiting holds the deliveries refused a slot and not yet served: the
	// queue behind the slots. A delivery refused again counts once.
	waiting map[int64]struct{}
	// avg is a moving average of request durations.
	avg time.Duration
}

// maxWaiting bounds an estimate's set; past it the set starts over (it
// only sizes waits, and entries of deliveries finished elsewhere linger).
const maxWaiting = 100_000

func (e *WaitEstimator) get(sub int64) *estimate {
	if e.subs == nil {
		e.subs = map[int64]*estimate{}
	}
	s := e.subs[sub]
	if s == nil || len(s.waiting) > maxWaiting {
		if s == nil {
			s = &estimate{}
		}
		s.waiting = map[int64]struct{}{}
		e.subs[sub] = s
	}
	return s
}

// Refused records that delivery d found no free slot and returns its wait.
func (e *WaitEstimator) Refused(sub, d int64, maxInFlight int) time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.get(sub)
	s.waiting[d] = struct{}{}
	avg := max(s.avg, minGateWait)
	wait := time.Duration(float64(avg) * float64(len(s.waiting)) / float64(max(maxInFlight, 1)))
	return jitter(min(max(wait, minGateWait), maxGateWait))
}

// MayQueue reports whether a delivery refused a slot of sub, with queued
// deliveries ahead of it on this node, should queue for the next slot
// rather than be snoozed: the queue is shorter than MaxQueued, a slot was
// taken or released within MaxQueueWait of now (moved; slots all held
// longer, none released, look like a black hole), and by the average
// request duration its slot should come within MaxQueueWait. Both gates
// apply this one rule.
func (e *WaitEstimator) MayQueue(sub int64, queued, maxInFlight int, moved, now time.Time) bool {
	if queued >= MaxQueued || moved.IsZero() || now.Sub(moved) > MaxQueueWait {
		return false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	avg := e.get(sub).avg
	return time.Duration(float64(avg)*float64(queued+1)/float64(max(maxInFlight, 1))) <= MaxQueueWait
}

// Acquired records that delivery d got a slot.
func (e *WaitEstimator) Acquired(sub, d int64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.get(sub).waiting, d)
}

// Done folds a request's duration into the average.
func (e *WaitEstimator) Done(sub int64, took time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.get(sub)
	if s.avg == 0 {
		s.avg = took
	} else {
		s.avg = (s.avg*7 + took) / 8
	}
}

// LocalGate is a Gate for one node (the SQLite deployment).
type LocalGate struct {
	// Now is the clock; time.Now when nil.
	Now       func() time.Time
	estimator WaitEstimator
	mu        sync.Mutex
	subs      map[int64]*gateState
}

// gateState is one subscription's slots, the deliveries queued for them,
// and its token bucket.
type gateState struct {
	inFlight int
	// queue holds a channel per queued delivery, first come first served;
	// a release hands its slot to the first by sending on it.
	queue []chan struct{}
	// moved is when a slot was last taken or released: a subscription
	// whose slots have all been held for longer than MaxQueueWait, none
	// released (a black hole), queues nobody. A burst after a quiet spell
	// does queue: its first deliveries took the slots just now.
	moved    time.Time
	tokens   float64
	refilled time.Time
}

// dequeue removes turn from the queue; false means it was not there any
// more: a release has handed it a slot.
func (s *gateState) dequeue(turn chan struct{}) bool {
	for i, c := range s.queue {
		if c == turn {
			s.queue = append(s.queue[:i], s.queue[i+1:]...)
			return true
		}
	}
	return false
}

// NewLocalGate returns an empty LocalGate.
func NewLocalGate() *LocalGate { return &LocalGate{subs: map[int64]*gateState{}} }

// Acquire implements Gate. A subscription without a throttle whose slots
// are taken queues the delivery for the next free slot if one should come
// soon (WaitEstimator.MayQueue). Otherwise, and once MaxQueueWait has
// passed in the queue, the delivery is refused with the estimator's wait.
func (g *LocalGate) Acquire(ctx context.Context, sub, d int64, maxInFlight, perSecond int) (func(time.Duration), time.Duration, bool, error) {
	release, wait, ok, turn := g.acquire(sub, d, maxInFlight, perSecond, g.now())
	if turn == nil {
		return release, wait, ok, nil
	}
	release, wait, ok = g.await(ctx, sub, d, maxInFlight, turn)
	return release, wait, ok, nil
}

func (g *LocalGate) now() time.Time { return clockNow(g.Now) }

// acquire takes a slot, refuses with a wait, or queues d and returns the
// channel its slot will come on.
func (g *LocalGate) acquire(sub, d int64, maxInFlight, perSecond int, now time.Time) (func(time.Duration), time.Duration, bool, chan struct{}) {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.subs[sub]
	if s == nil {
		s = &gateState{tokens: float64(perSecond), refilled: now}
		g.subs[sub] = s
	}
	if maxInFlight > 0 && s.inFlight >= maxInFlight {
		if perSecond <= 0 && g.estimator.MayQueue(sub, len(s.queue), maxInFlight, s.moved, now) {
			turn := make(chan struct{}, 1)
			s.queue = append(s.queue, turn)
			return nil, 0, false, turn
		}
		return nil, g.estimator.Refused(sub, d, maxInFlight), false, nil
	}
	if wait := tokenWait(&s.tokens, &s.refilled, perSecond, now); wait > 0 {
		return nil, wait, false, nil
	}
	s.inFlight++
	s.moved = now
	return g.granted(sub, d), 0, true, nil
}

// await waits for a queued delivery's slot, for at most MaxQueueWait or
// until ctx ends; then it is refused with the estimator's wait.
func (g *LocalGate) await(ctx context.Context, sub, d int64, maxInFlight int, turn chan struct{}) (func(time.Duration), time.Duration, bool) {
	timer := time.NewTimer(MaxQueueWait)
	defer timer.Stop()
	select {
	case <-turn:
		return g.granted(sub, d), 0, true
	case <-timer.C:
	case <-ctx.Done():
	}
	g.mu.Lock()
	removed := g.subs[sub].dequeue(turn)
	g.mu.Unlock()
	if !removed {
		<-turn // handed a slot as the wait ended: it is this delivery's
		return g.granted(sub, d), 0, true
	}
	return nil, g.estimator.Refused(sub, d, maxInFlight), false
}

// granted records that d holds a slot of sub and returns its release.
func (g *LocalGate) granted(sub, d int64) func(time.Duration) {
	g.estimator.Acquired(sub, d)
	return func(took time.Duration) { g.release(sub, took) }
}

// tokenWait takes a token from a bucket refilled at perSecond (burst one
// second's worth), or returns the wait for the next one; perSecond ≤ 0 is
// unlimited.
func tokenWait(tokens *float64, refilled *time.Time, perSecond int, now time.Time) time.Duration {
	if perSecond <= 0 {
		return 0
	}
	*tokens = min(float64(perSecond), *tokens+now.Sub(*refilled).Seconds()*float64(perSecond))
	*refilled = now
	if *tokens >= 1 {
		*tokens--
		return 0
	}
	return time.Duration((1 - *tokens) / float64(perSecond) * float64(time.Second))
}

// release hands the slot to the first queued delivery, or frees it.
func (g *LocalGate) release(sub int64, took time.Duration) {
	g.mu.Lock()
	s := g.subs[sub]
	s.moved = g.now()
	if len(s.queue) > 0 {
		s.queue[0] <- struct{}{}
		s.queue = s.queue[1:]
	} else {
		s.inFlight--
	}
	g.mu.Unlock()
	g.estimator.Done(sub, took)
}
