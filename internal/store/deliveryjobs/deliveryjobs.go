// Package deliveryjobs enqueues, settles and releases the job queue's
// delivery jobs inside a store backend's transactions, the same way for
// every backend: River's client is generic over the transaction type.
//
// A delivery's job is either ready (due at once, worked by the queue) or
// held: scheduled at the delivery's HoldUntil and tagged TagHeld while a
// direct send makes the first attempt (package delivery's Direct). That
// attempt's record settles the held job: deletes it, or reschedules the
// delivery for its retry. A held job nobody settled — its process died —
// is worked by the queue when the hold ends (on SQLite at the next start).
package deliveryjobs

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/ivvy-notify/ivvy-notify/internal/jobs"
	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// TagHeld marks a job held for a direct send.
const TagHeld = "held"

// readyOpts are the insert options of a job due at once.
var readyOpts = &river.InsertOpts{Queue: jobs.QueueDeliveries}

// Enqueue inserts the jobs of the deliveries ds, created from ps (in the
// same order), in tx: the ready ones in one fast insert, the held ones in
// one insert that returns their IDs into ds[i].HeldJobID (and the hold's
// end into HeldUntil). It reports whether it inserted a ready job.
func Enqueue[TTx any](ctx context.Context, c *river.Client[TTx], tx TTx, ds []*store.Delivery, ps []store.DeliveryCreateParams) (bool, error) {
	var ready, held []river.InsertManyParams
	heldIdx := map[int64]int{}
	for i, d := range ds {
		args := jobs.Deliver{DeliveryID: d.ID}
		if ps[i].HoldUntil.IsZero() {
			ready = append(ready, river.InsertManyParams{Args: args, InsertOpts: readyOpts})
			continue
		}
		heldIdx[d.ID] = i
		held = append(held, river.InsertManyParams{Args: args, InsertOpts: &river.InsertOpts{
			Queue: jobs.QueueDeliveries, ScheduledAt: ps[i].HoldUntil, Tags: []string{TagHeld},
		}})
	}
	if len(ready) > 0 {
		if _, err := c.InsertManyFastTx(ctx, tx, ready); err != nil {
			return false, fmt.Errorf("enqueue %d deliveries: %w", len(ready), err)
		}
	}
	if len(held) > 0 {
		res, err := c.InsertManyTx(ctx, tx, held)
		if err != nil {
			return false, fmt.Errorf("enqueue %d held deliveries: %w", len(held), err)
		}
		if err := setHeld(ds, ps, heldIdx, res); err != nil {
			return false, err
		}
	}
	return len(ready) > 0, nil
}

// setHeld matches inserted jobs to their deliveries by their arguments
// (an insert's RETURNING order is not guaranteed) and sets the
// deliveries' HeldJobID and HeldUntil.
func setHeld(ds []*store.Delivery, ps []store.DeliveryCreateParams, idx map[int64]int, res []*rivertype.JobInsertResult) error {
	for _, r := range res {
		var args jobs.Deliver
		if err := json.Unmarshal(r.Job.EncodedArgs, &args); err != nil {
			return fmt.Errorf("held job %d: %w", r.Job.ID, err)
		}
		i, ok := idx[args.DeliveryID]
		if !ok {
			return fmt.Errorf("held job %d: delivery %d was not inserted", r.Job.ID, args.DeliveryID)
		}
		ds[i].HeldJobID, ds[i].HeldUntil = r.Job.ID, ps[i].HoldUntil
	}
	return nil
}

// Exec runs one statement on a job's ID (SQLite's "?" placeholder; the
// PostgreSQL backend rewrites it) inside the caller's transaction and
// returns how many rows it changed.
type Exec func(ctx context.Context, query string, jobID int64) (int64, error)

// deleteHeldSQL deletes a held job unless the queue has taken it over:
// its hold ended while the direct send ran, and the queue's worker, which
// reads the delivery's status first, finishes it. It is plain SQL because
// River's JobDeleteTx costs five times as much (a savepoint and the whole
// row read back), a twentieth of everything but signing per delivery;
// River keeps no state about a job it has not fetched.
const deleteHeldSQL = `DELETE FROM river_job WHERE id = ? AND kind = 'deliver' AND state <> 'running'`

// makeAvailableSQL makes a scheduled job available; the fetch still waits
// for its scheduled_at.
const makeAvailableSQL = `UPDATE river_job SET state = 'available' WHERE id = ? AND state = 'scheduled'`

// SchedulerInterval is how often River's scheduler makes scheduled jobs
// that came due available (its default). A retry due sooner is made
// available at once, due at its time, as River does with a short snooze:
// the fetch skips it until then, and the scheduler would be up to this
// late.
const SchedulerInterval = 5 * time.Second

// Settle finishes the held job of a direct send's attempt in tx, with the
// attempt's record: it deletes the job and, when the delivery stays
// pending, enqueues its next attempt due at p.RetryAt. A job the queue has
// taken over, or that is gone, is left alone. It reports whether it
// enqueued a job.
func Settle[TTx any](ctx context.Context, c *river.Client[TTx], tx TTx, exec Exec, p store.DeliveryAttemptParams) (bool, error) {
	if p.HeldJobID == 0 {
		return false, nil
	}
	n, err := exec(ctx, deleteHeldSQL, p.HeldJobID)
	if err != nil {
		return false, fmt.Errorf("delete held job %d: %w", p.HeldJobID, err)
	}
	if n == 0 || p.Status != store.DeliveryPending {
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

// ReleaseParams are the settle parameters of a held job handed to the
// queue without an attempt (store's DeliveryReleaseHeld): the held job
// deleted and the delivery, still pending, queued for at — what a
// retry's record does, with nothing to log.
func ReleaseParams(deliveryID, jobID int64, at time.Time) store.DeliveryAttemptParams {
	return store.DeliveryAttemptParams{ID: deliveryID, Status: store.DeliveryPending, HeldJobID: jobID, RetryAt: at}
}
