package delivery

import (
	"context"
	"errors"
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
	// directGateWait bounds how long a direct send waits for its
	// subscription's gate before it leaves the delivery to the queue.
	directGateWait = time.Second
	// directHoldMargin is the part of the hold a direct send never uses,
	// so that the queue cannot start the same delivery while it runs.
	directHoldMargin = 10 * time.Second
)

// Direct sends deliveries' first attempts as soon as their publish
// commits, without the job queue: no insert wakes a producer, no fetch,
// no completion; the delivery and its subscription are already in memory.
//
// Nothing is lost for it. The publish inserts each such delivery's job
// held (scheduled Hold ahead, see store.DeliveryCreateParams.HoldUntil);
// the attempt's record deletes the job or reschedules it for the retry,
// in the same transaction. A send that cannot go now (paused
// subscription, busy gate, shutdown) releases its job to the queue at
// once; if the process dies, the queue works the job when the hold ends
// (SQLite releases held jobs at start-up). A send is cut short at the
// hold's end less a margin (the time its record may take), so the queue
// and a direct send do not both send the same delivery.
type Direct struct {
	w    *Worker
	hold time.Duration
	// ctx ends the sends in flight on a hard stop.
	ctx    context.Context
	cancel context.CancelFunc

	mu     sync.Mutex
	free   int
	closed bool
	// sends counts reservations and the sends they became.
	sends sync.WaitGroup
}

// newDirect returns a Direct sending through w up to capacity at once,
// holding their jobs for hold.
func newDirect(w *Worker, capacity int, hold time.Duration) *Direct {
	ctx, cancel := context.WithCancel(context.Background())
	return &Direct{w: w, hold: hold, ctx: ctx, cancel: cancel, free: capacity}
}

// Reserve claims room for up to n direct sends. It returns how many it
// got and the time their jobs must be held until; every reservation ends
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
	return k, x.w.cfg.Now().Add(x.hold)
}

// Send starts a direct send of each committed delivery with a held job
// (at most reserved of them) and gives back what is left of the
// reservation.
func (x *Direct) Send(ds []*store.Delivery, reserved int) {
	for _, d := range ds {
		if d.HeldJobID == 0 || reserved == 0 {
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
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		x.toQueue(d, "subscription: "+err.Error())
		return
	}
	if errors.Is(err, store.ErrNotFound) {
		sub = nil
	}
	if reason := skipReason(d, sub); reason != "" {
		x.logErr(x.w.cancel(ctx, d, sub, reason, d.HeldJobID), d)
		return
	}
	if sub.Paused {
		x.toQueue(d, "")
		return
	}
	plan := x.w.cfg.Planner.Plan(sub)
	release, err := x.acquire(ctx, sub, d, plan)
	if release == nil {
		x.toQueue(d, errString(err))
		return
	}
	start := x.w.cfg.Now()
	o := x.w.poster.Send(ctx, request(d, sub))
	release(o.Duration)
	if cutShort(ctx, o) {
		x.toQueue(d, "")
		return
	}
	status, _, err := x.w.finish(ctx, d, sub, plan, start, o, d.HeldJobID)
	x.logErr(err, d)
	if status == store.DeliveryPending && x.w.cfg.OnWork != nil {
		x.w.cfg.OnWork() // its retry may come due soon: keep the queue polled
	}
}

// acquire takes a gate slot for d, waiting up to directGateWait; a nil
// release means no slot (or an error).
func (x *Direct) acquire(ctx context.Context, sub *store.Subscription, d *store.Delivery, plan Plan) (func(time.Duration), error) {
	deadline := x.w.cfg.Now().Add(directGateWait)
	for {
		release, wait, ok, err := x.w.cfg.Gate.Acquire(ctx, sub.ID, d.ID, x.w.cfg.MaxInFlight, plan.MaxReceivesPerSecond)
		if err != nil || ok {
			return release, err
		}
		if x.w.cfg.Now().Add(wait).After(deadline) {
			return nil, nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// toQueue releases d's held job for the queue to work now.
func (x *Direct) toQueue(d *store.Delivery, why string) {
	if why != "" && x.ctx.Err() == nil {
		x.w.cfg.Logger.Warn("delivery: direct send left to the queue", slog.Int64("delivery_id", d.ID), slog.String("error", why))
	}
	ctx, cancel := context.WithTimeout(context.Background(), recordTimeout)
	defer cancel()
	x.logErr(x.w.store.DeliveryReleaseHeld(ctx, d.HeldJobID), d)
	if x.w.cfg.OnWork != nil {
		x.w.cfg.OnWork()
	}
}

// logErr logs a direct send's failure to record: its held job stays, and
// the queue works it when the hold ends.
func (x *Direct) logErr(err error, d *store.Delivery) {
	if err != nil {
		x.w.cfg.Logger.Error("delivery: direct send not recorded; the queue retries it when its hold ends",
			slog.Int64("delivery_id", d.ID), slog.Any("err", err))
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// Stop refuses new reservations and waits for the sends in flight, for
// as long as ctx allows; then it cuts them short (their jobs go back to
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
