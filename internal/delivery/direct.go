package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// Direct-send defaults.
const (
	// DefaultDirectSends is how many first attempts one node sends
	// directly at once, beside the queue's workers.
	DefaultDirectSends = 512
	// directTurnWait bounds how long a direct send waits for its turn at
	// its subscription's gate (see turnstiles) before it leaves the
	// delivery to the queue, and directGateWait how long it waits for a
	// slot once there.
	directTurnWait = 10 * time.Second
	directGateWait = time.Second
	// directHoldMargin is the part of the hold a direct send never uses,
	// so that the queue cannot start the same delivery while it runs.
	directHoldMargin = 10 * time.Second
)

// What became of the deliveries offered to direct sends, for
// Config.OnDirect.
const (
	// DirectSent: the first attempt went out directly.
	DirectSent = "sent"
	// DirectReleased: handed to the queue after all (a paused
	// subscription, a gate busy for over a second, a shutdown).
	DirectReleased = "released"
	// DirectNoRoom: every direct send was taken; the queue sends it.
	DirectNoRoom = "no_room"
)

// Direct sends deliveries' first attempts as soon as their publish
// commits, without the job queue: no insert wakes a producer, no fetch,
// no completion; the delivery and its subscription are already in memory.
//
// Nothing is lost for it. The publish stores each such delivery held
// (see store.DeliveryCreateParams.HoldUntil), without a queue job; the
// attempt's record lifts the hold, enqueueing the retry if any, in the
// same transaction. A send that cannot go now hands its delivery to the
// queue in the same way, due when the queue's worker would have looked
// again (a paused subscription's recheck, the wait a busy gate suggests;
// at once on shutdown). If the process dies, the hold is handed to the
// queue when it ends (ReleaseHoldsWorker; SQLite hands every hold over at
// start-up). A send is cut short at the hold's end less a margin (the
// time its record may take), so the queue and a direct send do not both
// send the same delivery.
type Direct struct {
	w    *Worker
	hold time.Duration
	// observe counts what became of deliveries offered (Config.OnDirect).
	observe func(result string, n int)
	// ctx ends the sends in flight on a hard stop.
	ctx    context.Context
	cancel context.CancelFunc

	turns turnstiles

	mu     sync.Mutex
	free   int
	closed bool
	// sends counts reservations and the sends they became.
	sends sync.WaitGroup
}

// newDirect returns a Direct sending through w up to capacity at once,
// holding their deliveries for hold, and telling observe (if not nil) what
// became of the deliveries offered.
func newDirect(w *Worker, capacity int, hold time.Duration, observe func(result string, n int)) *Direct {
	ctx, cancel := context.WithCancel(context.Background())
	if observe == nil {
		observe = func(string, int) {}
	}
	return &Direct{w: w, hold: hold, observe: observe, ctx: ctx, cancel: cancel, free: capacity}
}

// Reserve claims room for up to n direct sends. It returns how many it
// got and the time their deliveries must be held until; every reservation ends
// with one call of Send, with the deliveries committed (none when the
// publish failed).
func (x *Direct) Reserve(n int) (int, time.Time) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed || n <= 0 {
		return 0, time.Time{}
	}
	k := min(n, x.free)
	x.free -= k
	x.sends.Add(k)
	if k < n {
		x.observe(DirectNoRoom, n-k)
	}
	return k, x.w.cfg.Now().Add(x.hold)
}

// Send starts a direct send of each committed held delivery (at most
// reserved of them) and gives back what is left of the reservation.
func (x *Direct) Send(ds []*store.Delivery, reserved int) {
	for _, d := range ds {
		if d.HeldUntil.IsZero() || reserved == 0 {
			continue
		}
		reserved--
		go x.run(d)
	}
	for range reserved {
		x.done()
	}
}

// done ends one reservation.
func (x *Direct) done() {
	x.mu.Lock()
	x.free++
	x.mu.Unlock()
	x.sends.Done()
}

// run makes the first attempt of d and records it, or hands d to the
// queue.
func (x *Direct) run(d *store.Delivery) {
	defer x.done()
	ctx, cancel := context.WithDeadline(x.ctx, d.HeldUntil.Add(-directHoldMargin))
	defer cancel()
	sub, err := x.w.store.SubscriptionGet(ctx, d.SubscriptionID)
	if errors.Is(err, store.ErrNotFound) {
		sub = nil // skipReason cancels the delivery
	} else if err != nil {
		x.toQueue(d, 0, fmt.Errorf("subscription: %w", err))
		return
	}
	if reason := skipReason(d, sub); reason != "" {
		x.logErr(x.w.cancel(ctx, d, sub, reason, true), d)
		return
	}
	if sub.Paused {
		x.toQueue(d, jitter(PauseRecheck), nil) // as the queue's worker looks again
		return
	}
	leave, ok := x.turns.enter(ctx, sub.ID, 2*x.w.cfg.MaxInFlight, directTurnWait)
	if !ok {
		x.toQueue(d, 0, nil) // a slow or stopped endpoint's backlog: the queue's gate decides
		return
	}
	defer leave()
	plan := x.w.plan(d, sub)
	release, wait, err := x.acquire(ctx, sub, d, plan)
	if release == nil {
		x.toQueue(d, wait, err)
		return
	}
	start := x.w.cfg.Now()
	x.observe(DirectSent, 1)
	o := x.w.poster.Send(ctx, request(d, sub))
	release(o.Duration)
	if cutShort(ctx, o) {
		x.toQueue(d, 0, nil)
		return
	}
	status, _, err := x.w.finish(ctx, d, sub, plan, start, o, true)
	x.logErr(err, d)
	if status == store.DeliveryPending && x.w.cfg.OnWork != nil {
		x.w.cfg.OnWork() // its retry may come due soon: keep the queue polled
	}
}

// acquire takes a gate slot for d, waiting up to directGateWait. A nil
// release means no slot: then wait is what the gate last suggested (the
// queue's worker would snooze that long), or err says why.
func (x *Direct) acquire(ctx context.Context, sub *store.Subscription, d *store.Delivery, plan Plan) (func(time.Duration), time.Duration, error) {
	deadline := x.w.cfg.Now().Add(directGateWait)
	for {
		release, wait, ok, err := x.w.cfg.Gate.Acquire(ctx, sub.ID, d.ID, x.w.cfg.MaxInFlight, plan.MaxReceivesPerSecond)
		if err != nil || ok {
			return release, 0, err
		}
		if x.w.cfg.Now().Add(wait).After(deadline) {
			return nil, wait, nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, 0, ctx.Err()
		case <-t.C:
		}
	}
}

// toQueue hands d to the queue, due after wait: a busy subscription's
// delivery waits as long as the queue's worker would have snoozed it, so
// that a burst for a slow endpoint does not keep the queue's workers busy
// refusing it. why, if not nil, is logged unless the node is stopping.
func (x *Direct) toQueue(d *store.Delivery, wait time.Duration, why error) {
	if why != nil && x.ctx.Err() == nil {
		x.w.cfg.Logger.Warn("delivery: direct send left to the queue", slog.Int64("delivery_id", d.ID), slog.Any("error", why))
	}
	x.observe(DirectReleased, 1)
	ctx, cancel := context.WithTimeout(context.Background(), recordTimeout)
	defer cancel()
	x.logErr(x.w.store.DeliveryReleaseHeld(ctx, d.ID, x.w.cfg.Now().Add(wait)), d)
	if x.w.cfg.OnWork != nil {
		x.w.cfg.OnWork()
	}
}

// logErr logs a direct send's failure to record: its delivery stays
// held, and the queue takes it over when the hold ends.
func (x *Direct) logErr(err error, d *store.Delivery) {
	if err != nil {
		x.w.cfg.Logger.Error("delivery: direct send not recorded; the queue retries it when its hold ends",
			slog.Int64("delivery_id", d.ID), slog.Any("err", err))
	}
}

// Stop refuses new reservations and waits for the sends in flight, for
// as long as ctx allows; then it cuts them short (their deliveries go to
// the queue) and waits up to hardStopGrace more.
func (x *Direct) Stop(ctx context.Context) error {
	x.mu.Lock()
	x.closed = true
	x.mu.Unlock()
	idle := make(chan struct{})
	go func() { x.sends.Wait(); close(idle) }()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
	}
	x.cancel()
	select {
	case <-idle:
	case <-time.After(hardStopGrace):
	}
	return ctx.Err()
}
