// Package deliveryjobs enqueues and settles the job queue's delivery jobs
// inside a store backend's transactions, the same way for every backend:
// River's client is generic over the transaction type.
//
// A delivery is either queued (its job due at once, worked by the queue)
// or held: created with no job and its held_until column set while a
// direct send makes the first attempt (package delivery's Direct). That
// attempt's record lifts the hold, enqueueing the retry if there is one.
// A hold nobody lifted — its process died — is handed to the queue when
// it ends (store's DeliveryReleaseExpiredHolds; on SQLite at the next
// start too).
package deliveryjobs

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/ivvy-notify/ivvy-notify/internal/jobs"
	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// readyOpts are the insert options of a job due at once.
var readyOpts = &river.InsertOpts{Queue: jobs.QueueDeliveries}

// Enqueue inserts, in one fast insert in tx, the jobs of the deliveries ds
// created from ps (in the same order) without a hold, and sets the
// others' HeldUntil: a held delivery has no job. It reports whether it
// inserted a job.
func Enqueue[TTx any](ctx context.Context, c *river.Client[TTx], tx TTx, ds []*store.Delivery, ps []store.DeliveryCreateParams) (bool, error) {
	ready := make([]int64, 0, len(ds))
	for i, d := range ds {
		if ps[i].HoldUntil.IsZero() {
			ready = append(ready, d.ID)
			continue
		}
		d.HeldUntil = ps[i].HoldUntil
	}
	return len(ready) > 0, EnqueueReady(ctx, c, tx, ready)
}

// EnqueueReady inserts, in one fast insert in tx, a job due at once for
// each delivery in ids.
func EnqueueReady[TTx any](ctx context.Context, c *river.Client[TTx], tx TTx, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	ps := make([]river.InsertManyParams, len(ids))
	for i, id := range ids {
		ps[i] = river.InsertManyParams{Args: jobs.Deliver{DeliveryID: id}, InsertOpts: readyOpts}
	}
	if _, err := c.InsertManyFastTx(ctx, tx, ps); err != nil {
		return fmt.Errorf("enqueue %d deliveries: %w", len(ids), err)
	}
	return nil
}

// Exec runs one statement on a row's ID (SQLite's "?" placeholder; the
// PostgreSQL backend rewrites it) inside the caller's transaction and
// returns how many rows it changed.
type Exec func(ctx context.Context, query string, id int64) (int64, error)

// liftHoldSQL lifts a delivery's hold, if it is still held: a hold that
// ended was handed to the queue (DeliveryReleaseExpiredHolds), whose job
// finishes the delivery.
const liftHoldSQL = `UPDATE deliveries SET held_until = NULL WHERE id = ? AND held_until IS NOT NULL`

// makeAvailableSQL makes a scheduled job available; the fetch still waits
// for its scheduled_at.
const makeAvailableSQL = `UPDATE river_job SET state = 'available' WHERE id = ? AND state = 'scheduled'`

// SchedulerInterval is how often River's scheduler makes scheduled jobs
// that came due available (its default). A retry due sooner is made
// available at once, due at its time, as River does with a short snooze:
// the fetch skips it until then, and the scheduler would be up to this
// late.
const SchedulerInterval = 5 * time.Second

// Settle lifts the hold of a direct send's delivery in tx, with the
// attempt's record, and when the delivery stays pending enqueues its next
// attempt due at p.RetryAt. A delivery no longer held (its hold handed to
// the queue) is left alone. It reports whether it enqueued a job.
func Settle[TTx any](ctx context.Context, c *river.Client[TTx], tx TTx, exec Exec, p store.DeliveryAttemptParams) (bool, error) {
	if !p.Held {
		return false, nil
	}
	n, err := exec(ctx, liftHoldSQL, p.ID)
	if err != nil {
		return false, fmt.Errorf("lift hold of delivery %d: %w", p.ID, err)
	}
	if n == 0 {
		return false, nil
	}
	return Lifted(ctx, c, tx, exec, p)
}

// Lifted is Settle after the hold was lifted, for a backend that lifts it
// in the statement that records the attempt: when the delivery stays
// pending, it enqueues the next attempt due at p.RetryAt. It reports
// whether it enqueued a job.
func Lifted[TTx any](ctx context.Context, c *river.Client[TTx], tx TTx, exec Exec, p store.DeliveryAttemptParams) (bool, error) {
	if p.Status != store.DeliveryPending {
		return false, nil
	}
	opts := &river.InsertOpts{Queue: jobs.QueueDeliveries, ScheduledAt: p.RetryAt}
	res, err := c.InsertTx(ctx, tx, jobs.Deliver{DeliveryID: p.ID}, opts)
	if err != nil {
		return false, fmt.Errorf("enqueue retry of delivery %d: %w", p.ID, err)
	}
	if res.Job.State == rivertype.JobStateScheduled && time.Until(p.RetryAt) <= SchedulerInterval {
		if _, err := exec(ctx, makeAvailableSQL, res.Job.ID); err != nil {
			return false, fmt.Errorf("retry of delivery %d: %w", p.ID, err)
		}
	}
	return true, nil
}

// ReleaseParams are the settle parameters of a held delivery handed to
// the queue without an attempt (store's DeliveryReleaseHeld): the hold
// lifted and the delivery, still pending, queued for at — what a retry's
// record does, with nothing to log.
func ReleaseParams(deliveryID int64, at time.Time) store.DeliveryAttemptParams {
	return store.DeliveryAttemptParams{ID: deliveryID, Status: store.DeliveryPending, Held: true, RetryAt: at}
}
