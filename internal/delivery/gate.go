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
// shared by several nodes keeps them in the database.
type Gate interface {
	// Acquire takes a slot for a request to sub now. On success, release
	// must be called with the request's duration. On refusal, wait says
	// when to look again.
	Acquire(ctx context.Context, sub int64, maxInFlight, perSecond int) (release func(took time.Duration), wait time.Duration, ok bool, err error)
}

// Gate waits are kept within these bounds.
const (
	minGateWait = 100 * time.Millisecond
	maxGateWait = 60 * time.Second
)

// LocalGate is a Gate for one node (the SQLite deployment).
type LocalGate struct {
	// Now is the clock; time.Now when nil.
	Now  func() time.Time
	mu   sync.Mutex
	subs map[int64]*gateState
}

// gateState is one subscription's slots, token bucket and recent history.
type gateState struct {
	inFlight int
	// waiting estimates how many deliveries are queued behind the slots:
	// refusals not yet followed by a successful acquire.
	waiting int
	// avg is a moving average of request durations.
	avg time.Duration
	// tokens and refilled are the throttle's bucket.
	tokens   float64
	refilled time.Time
}

// NewLocalGate returns an empty LocalGate.
func NewLocalGate() *LocalGate { return &LocalGate{subs: map[int64]*gateState{}} }

// Acquire implements Gate.
func (g *LocalGate) Acquire(_ context.Context, sub int64, maxInFlight, perSecond int) (func(time.Duration), time.Duration, bool, error) {
	release, wait, ok := g.acquire(sub, maxInFlight, perSecond, g.now())
	return release, wait, ok, nil
}

func (g *LocalGate) now() time.Time {
	if g.Now != nil {
		return g.Now()
	}
	return time.Now()
}

func (g *LocalGate) acquire(sub int64, maxInFlight, perSecond int, now time.Time) (func(time.Duration), time.Duration, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.subs[sub]
	if s == nil {
		s = &gateState{tokens: float64(perSecond), refilled: now}
		g.subs[sub] = s
	}
	if maxInFlight > 0 && s.inFlight >= maxInFlight {
		s.waiting++
		return nil, s.slotWait(maxInFlight), false
	}
	if wait := s.takeToken(perSecond, now); wait > 0 {
		s.waiting++
		return nil, wait, false
	}
	s.inFlight++
	s.waiting = max(0, s.waiting-1)
	return func(took time.Duration) { g.release(sub, took) }, 0, true
}

// slotWait estimates when a slot frees for a delivery at the back of the
// queue: the deliveries ahead, shared over the slots, times the usual
// request duration.
func (s *gateState) slotWait(maxInFlight int) time.Duration {
	avg := max(s.avg, minGateWait)
	wait := time.Duration(float64(avg) * float64(s.waiting+1) / float64(maxInFlight))
	return jitter(min(max(wait, minGateWait), maxGateWait))
}

// takeToken takes a throttle token, or returns the wait for the next one.
func (s *gateState) takeToken(perSecond int, now time.Time) time.Duration {
	if perSecond <= 0 {
		return 0
	}
	s.tokens = min(float64(perSecond), s.tokens+now.Sub(s.refilled).Seconds()*float64(perSecond))
	s.refilled = now
	if s.tokens >= 1 {
		s.tokens--
		return 0
	}
	return time.Duration((1 - s.tokens) / float64(perSecond) * float64(time.Second))
}

// release frees a slot and folds the request's duration into the average.
func (g *LocalGate) release(sub int64, took time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.subs[sub]
	s.inFlight--
	if s.avg == 0 {
		s.avg = took
	} else {
		s.avg = (s.avg*7 + took) / 8
	}
}
