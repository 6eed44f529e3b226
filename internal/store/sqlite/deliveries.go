package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/ivvy-notify/ivvy-notify/internal/jobs"
	"github.com/ivvy-notify/ivvy-notify/internal/store"
	"github.com/ivvy-notify/ivvy-notify/internal/store/deliveryjobs"
)

// deliveryFields are every column but the body, which deliveryColumns and
// deliveryListColumns add (or leave out).
const deliveryFields = `id, subscription_id, event_id, message_id, message_type, status, attempts,
	COALESCE(last_error, ''), created_at, completed_at, dead_at, redriven_from, length(body)`

const (
	deliveryColumns     = deliveryFields + `, body`
	deliveryListColumns = deliveryFields + `, NULL`
)

func scanDelivery(s scanner) (*store.Delivery, error) {
	var d store.Delivery
	var eventID, completed, dead, redriven sql.NullInt64
	var created int64
	if err := s.Scan(&d.ID, &d.SubscriptionID, &eventID, &d.MessageID, &d.MessageType, &d.Status,
		&d.Attempts, &d.LastError, &created, &completed, &dead, &redriven, &d.BodySize, &d.Body); err != nil {
		return nil, err
	}
	if eventID.Valid {
		d.EventID = &eventID.Int64
	}
	if redriven.Valid {
		d.RedrivenFrom = &redriven.Int64
	}
	d.CreatedAt = fromMicros(created)
	d.CompletedAt = timePtr(completed)
	d.DeadAt = timePtr(dead)
	return &d, nil
}

// DeliveryCreate stores a pending delivery and enqueues its job in the same
// transaction.
func (q queries) DeliveryCreate(ctx context.Context, p store.DeliveryCreateParams) (*store.Delivery, error) {
	return q.insertDelivery(ctx, p, nil)
}

// DeliveryCreateMany stores pending deliveries and enqueues the jobs of
// those not held in one insert, in the same transaction.
func (q queries) DeliveryCreateMany(ctx context.Context, ps []store.DeliveryCreateParams) ([]*store.Delivery, error) {
	out := make([]*store.Delivery, 0, len(ps))
	err := q.withTx(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		for _, p := range ps {
			d, err := insertDeliveryRow(ctx, tx, p, nil)
			if err != nil {
				return err
			}
			out = append(out, d)
		}
		ready, err := deliveryjobs.Enqueue(ctx, q.jobs, tx, out, ps)
		if err != nil {
			return fmt.Errorf("sqlite: %w", err)
		}
		if ready {
			q.db.jobsEnqueued.Store(true)
		}
		return nil
	})
	return out, err
}

// deliverOpts are the queue options of a delivery job.
var deliverOpts = &river.InsertOpts{Queue: jobs.QueueDeliveries}

// insertDelivery inserts a delivery row and its queue job atomically.
func (q queries) insertDelivery(ctx context.Context, p store.DeliveryCreateParams, redrivenFrom *int64) (*store.Delivery, error) {
	var d *store.Delivery
	p.HoldUntil = time.Time{} // a delivery with its job is not held
	err := q.withTx(ctx, func(tx *sql.Tx) error {
		var err error
		if d, err = insertDeliveryRow(ctx, tx, p, redrivenFrom); err != nil {
			return err
		}
		if _, err = q.jobs.InsertTx(ctx, tx, jobs.Deliver{DeliveryID: d.ID}, deliverOpts); err != nil {
			return fmt.Errorf("sqlite: enqueue delivery %d: %w", d.ID, err)
		}
		q.db.jobsEnqueued.Store(true)
		return nil
	})
	return d, err
}

// insertDeliveryRow inserts a pending delivery row, held until
// p.HoldUntil if set, without its job. Only the new row's ID is read
// back: the rest is what was written, and reading the body back would
// copy it for nothing.
func insertDeliveryRow(ctx context.Context, tx *sql.Tx, p store.DeliveryCreateParams, redrivenFrom *int64) (*store.Delivery, error) {
	var heldUntil *int64
	if !p.HoldUntil.IsZero() {
		us := micros(p.HoldUntil)
		heldUntil = &us
	}
	created := micros(p.CreatedAt)
	d := &store.Delivery{SubscriptionID: p.SubscriptionID, EventID: clonePtr(p.EventID), MessageID: p.MessageID,
		MessageType: p.MessageType, Body: p.Body, BodySize: len(p.Body), Status: store.DeliveryPending,
		CreatedAt: fromMicros(created), RedrivenFrom: clonePtr(redrivenFrom)}
	err := tx.QueryRowContext(ctx, `INSERT INTO deliveries
		(subscription_id, event_id, message_id, message_type, body, status, created_at, redriven_from, held_until)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		p.SubscriptionID, p.EventID, p.MessageID, p.MessageType, p.Body, store.DeliveryPending, created, redrivenFrom, heldUntil).Scan(&d.ID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: create delivery: %w", translate(err))
	}
	return d, nil
}

// clonePtr returns a copy of an optional value, so that a returned row
// shares nothing with its caller's parameters.
func clonePtr[T any](v *T) *T {
	if v == nil {
		return nil
	}
	c := *v
	return &c
}

// DeliveryGet returns a delivery.
func (q queries) DeliveryGet(ctx context.Context, id int64) (*store.Delivery, error) {
	d, err := scanDelivery(q.ex.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries WHERE id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("sqlite: delivery %d: %w", id, translate(err))
	}
	return d, nil
}

// DeliveryRecordAttempt logs an attempt (if any) and sets the new status,
// lifting a direct send's hold in the same statement. Outside a
// transaction a direct send's record (p.Held) may wait a few milliseconds
// for others to share its commit (groupCommitter.runGathered): nothing
// waits for it, as its gate slot is already free. A queue worker's record
// does not wait: the worker is one of a fixed number, and a backlog drains
// only as fast as they come back.
func (q queries) DeliveryRecordAttempt(ctx context.Context, p store.DeliveryAttemptParams) error {
	within := q.withTx
	if p.Held {
		within = q.withGatheredTx
	}
	var stale bool
	err := within(ctx, func(tx *sql.Tx) error {
		lifted, notPending, err := recordAttempt(ctx, tx, p)
		stale = notPending
		if err != nil || !lifted {
			return err
		}
		return q.afterSettle(deliveryjobs.Lifted(ctx, q.jobs, tx, txExec(tx), p))
	})
	if err == nil && stale {
		return fmt.Errorf("sqlite: delivery %d is no longer pending: %w", p.ID, store.ErrConflict)
	}
	return err
}

// afterSettle notes a job that settling a hold enqueued.
func (q queries) afterSettle(enqueued bool, err error) error {
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	if enqueued {
		q.db.jobsEnqueued.Store(true)
	}
	return nil
}

// txExec runs deliveryjobs' statements in tx.
func txExec(tx *sql.Tx) deliveryjobs.Exec {
	return func(ctx context.Context, query string, id int64) (int64, error) {
		res, err := tx.ExecContext(ctx, query, id)
		if err != nil {
			return 0, err
		}
		return res.RowsAffected()
	}
}

// DeliveryReleaseHeld hands a held delivery to the queue, due at at.
func (q queries) DeliveryReleaseHeld(ctx context.Context, deliveryID int64, at time.Time) error {
	return q.withTx(ctx, func(tx *sql.Tx) error {
		n, err := execCount(ctx, tx, `UPDATE deliveries SET held_until = NULL, next_attempt_at = ?
			WHERE id = ? AND held_until IS NOT NULL`, micros(at), deliveryID)
		if err != nil {
			return fmt.Errorf("sqlite: release delivery %d: %w", deliveryID, translate(err))
		}
		if n == 0 {
			return nil // no longer held: the queue has it
		}
		return q.afterSettle(deliveryjobs.Lifted(ctx, q.jobs, tx, txExec(tx), deliveryjobs.ReleaseParams(deliveryID, at)))
	})
}

// DeliveryReleaseExpiredHolds hands up to limit deliveries whose hold
// ended before the given time to the queue.
func (q queries) DeliveryReleaseExpiredHolds(ctx context.Context, before time.Time, limit int) (int, error) {
	var lifted int
	err := q.withTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE deliveries SET held_until = NULL, next_attempt_at = ?1
			WHERE id IN (SELECT id FROM deliveries WHERE held_until <= ?1 ORDER BY held_until LIMIT ?2)
			RETURNING id, status`, micros(before), limit)
		if err != nil {
			return fmt.Errorf("sqlite: release expired holds: %w", err)
		}
		pending, n, err := pendingIDs(rows)
		if err != nil {
			return fmt.Errorf("sqlite: release expired holds: %w", err)
		}
		lifted = n
		if err := deliveryjobs.EnqueueReady(ctx, q.jobs, tx, pending); err != nil {
			return fmt.Errorf("sqlite: %w", err)
		}
		if len(pending) > 0 {
			q.db.jobsEnqueued.Store(true)
		}
		return nil
	})
	return lifted, err
}

// pendingIDs reads rows of (id, status) and returns the IDs of the
// pending deliveries, and how many rows there were.
func pendingIDs(rows *sql.Rows) ([]int64, int, error) {
	defer rows.Close()
	var ids []int64
	n := 0
	for rows.Next() {
		var id int64
		var status store.DeliveryStatus
		if err := rows.Scan(&id, &status); err != nil {
			return nil, 0, err
		}
		n++
		if status == store.DeliveryPending {
			ids = append(ids, id)
		}
	}
	return ids, n, rows.Err()
}

// DeliveryAttemptList returns a delivery's attempts, oldest first.
func (q queries) DeliveryAttemptList(ctx context.Context, deliveryID int64) ([]*store.Attempt, error) {
	rows, err := q.ex.QueryContext(ctx, `SELECT id, delivery_id, subscription_id, number, started_at, duration_us,
		COALESCE(status_code, 0), outcome, COALESCE(error, ''), response_excerpt
		FROM delivery_attempts WHERE delivery_id = ? ORDER BY id`, deliveryID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list attempts: %w", err)
	}
	return collect(rows, func(s scanner) (*store.Attempt, error) {
		var a store.Attempt
		var started, dur int64
		err := s.Scan(&a.ID, &a.DeliveryID, &a.SubscriptionID, &a.Number, &started, &dur, &a.StatusCode, &a.Outcome, &a.Error, &a.ResponseExcerpt)
		a.StartedAt, a.Duration = fromMicros(started), time.Duration(dur)*time.Microsecond
		return &a, err
	})
}

// DeliveryRedrive re-sends a dead letter as a new delivery.
func (q queries) DeliveryRedrive(ctx context.Context, id int64, at time.Time) (*store.Delivery, error) {
	var d *store.Delivery
	err := q.withTx(ctx, func(tx *sql.Tx) error {
		inTx := queries{ex: tx, jobs: q.jobs, db: q.db}
		res, err := tx.ExecContext(ctx, `UPDATE deliveries SET status = ? WHERE id = ? AND status = ?`,
			store.DeliveryRedriven, id, store.DeliveryDead)
		if err != nil {
			return fmt.Errorf("sqlite: redrive %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if _, err := inTx.DeliveryGet(ctx, id); err != nil {
				return err
			}
			return fmt.Errorf("sqlite: delivery %d is not a dead letter: %w", id, store.ErrConflict)
		}
		old, err := inTx.DeliveryGet(ctx, id)
		if err != nil {
			return err
		}
		d, err = inTx.insertDelivery(ctx, store.DeliveryCreateParams{SubscriptionID: old.SubscriptionID, EventID: old.EventID,
			MessageID: old.MessageID, MessageType: old.MessageType, Body: old.Body, CreatedAt: at}, &old.ID)
		return err
	})
	return d, err
}

// DeliveryStats summarises pending and dead deliveries.
func (q queries) DeliveryStats(ctx context.Context) (*store.DeliveryStats, error) {
	var st store.DeliveryStats
	var oldest sql.NullInt64
	err := q.ex.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM deliveries WHERE status = ?),
		(SELECT COUNT(*) FROM deliveries WHERE status = ?),
		(SELECT MIN(created_at) FROM deliveries WHERE status = ?)`,
		store.DeliveryPending, store.DeliveryDead, store.DeliveryPending).Scan(&st.Pending, &st.Dead, &oldest)
	if err != nil {
		return nil, fmt.Errorf("sqlite: delivery stats: %w", err)
	}
	st.OldestPending = timePtr(oldest)
	return &st, nil
}

// AttemptDeleteBefore deletes attempts started before t.
func (q queries) AttemptDeleteBefore(ctx context.Context, t time.Time) (int, error) {
	res, err := q.ex.ExecContext(ctx, `DELETE FROM delivery_attempts WHERE started_at < ?`, micros(t))
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete attempts: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// withTx runs fn in the current transaction, or, when these queries run
// outside a transaction, atomically in the next group commit.
func (q queries) withTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if tx, ok := q.ex.(*sql.Tx); ok {
		return fn(tx)
	}
	return q.db.group.run(ctx, fn)
}

// withGatheredTx is withTx for a transaction that may wait for others to
// share its commit.
func (q queries) withGatheredTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if tx, ok := q.ex.(*sql.Tx); ok {
		return fn(tx)
	}
	return q.db.group.runGathered(ctx, fn)
}
