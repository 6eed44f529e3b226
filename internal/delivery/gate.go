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

// gateState is one subscription's slots and token bucket.
type gateState struct {
	inFlight int
	tokens   float64
	refilled time.Time
}

// NewLocalGate returns an empty LocalGate.
func NewLocalGate() *LocalGate { return &LocalGate{subs: map[int64]*gateState{}} }

// Acquire implements Gate.
func (g *LocalGate) Acquire(_ context.Context, sub, d int64, maxInFlight, perSecond int) (func(time.Duration), time.Duration, bool, error) {
	release, wait, ok := g.acquire(sub, d, maxInFlight, perSecond, g.now())
	return release, wait, ok, nil
}

func (g *LocalGate) now() time.Time {
	if g.Now != nil {
		return g.Now()
	}
	return time.Now()
}

func (g *LocalGate) acquire(sub, d int64, maxInFlight, perSecond int, now time.Time) (func(time.Duration), time.Duration, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.subs[sub]
	if s == nil {
		s = &gateState{tokens: float64(perSecond), refilled: now}
		g.subs[sub] = s
	}
	if maxInFlight > 0 && s.inFlight >= maxInFlight {
		return nil, g.estimator.Refused(sub, d, maxInFlight), false
	}
	if wait := tokenWait(&s.tokens, &s.refilled, perSecond, now); wait > 0 {
		return nil, wait, false
	}
	s.inFlight++
	g.estimator.Acquired(sub, d)
	return func(took time.Duration) { g.release(sub, took) }, 0, true
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

// release frees a slot.
func (g *LocalGate) release(sub int64, took time.Duration) {
	g.mu.Lock()
	g.subs[sub].inFlight--
	g.mu.Unlock()
	g.estimator.Done(sub, took)
}
