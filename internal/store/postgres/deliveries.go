package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
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
	deliveryListColumns = deliveryFields + `, NULL::bytea`
)

func scanDelivery(s scanner) (*store.Delivery, error) {
	var d store.Delivery
	if err := s.Scan(&d.ID, &d.SubscriptionID, &d.EventID, &d.MessageID, &d.MessageType, &d.Status,
		&d.Attempts, &d.LastError, &d.CreatedAt, &d.CompletedAt, &d.DeadAt, &d.RedrivenFrom, &d.BodySize, &d.Body); err != nil {
		return nil, err
	}
	utc(&d.CreatedAt)
	d.CompletedAt = utcPtr(d.CompletedAt)
	d.DeadAt = utcPtr(d.DeadAt)
	return &d, nil
}

// DeliveryCreate stores a pending delivery and enqueues its job in the same
// transaction.
func (q queries) DeliveryCreate(ctx context.Context, p store.DeliveryCreateParams) (*store.Delivery, error) {
	return q.insertDelivery(ctx, p, nil)
}

// DeliveryCreateMany stores pending deliveries and enqueues the jobs of
// those not held in one insert, in the same transaction. The rows go in one batch: a round
// trip for all of them, not one each.
func (q queries) DeliveryCreateMany(ctx context.Context, ps []store.DeliveryCreateParams) ([]*store.Delivery, error) {
	if len(ps) == 0 {
		return nil, nil
	}
	var out []*store.Delivery
	err := q.withTx(ctx, func(tx pgx.Tx) error {
		var err error
		if out, err = insertDeliveryRows(ctx, tx, ps); err != nil {
			return err
		}
		if _, err := deliveryjobs.Enqueue(ctx, q.jobs, tx, out, ps); err != nil {
			return fmt.Errorf("postgres: %w", err)
		}
		return nil
	})
	return out, err
}

// insertDeliveryRows inserts pending delivery rows, without their jobs, in
// one batch.
func insertDeliveryRows(ctx context.Context, tx pgx.Tx, ps []store.DeliveryCreateParams) ([]*store.Delivery, error) {
	batch := &pgx.Batch{}
	for _, p := range ps {
		batch.Queue(insertDeliverySQL, deliveryInsertArgs(p, nil)...)
	}
	results := tx.SendBatch(ctx, batch)
	out := make([]*store.Delivery, 0, len(ps))
	for range ps {
		d, err := scanDelivery(results.QueryRow())
		if err != nil {
			_ = results.Close()
			return nil, fmt.Errorf("postgres: create delivery: %w", translate(err))
		}
		out = append(out, d)
	}
	if err := results.Close(); err != nil {
		return nil, fmt.Errorf("postgres: create delivery: %w", translate(err))
	}
	return out, nil
}

// deliverOpts are the queue options of a delivery job.
var deliverOpts = &river.InsertOpts{Queue: jobs.QueueDeliveries}

// insertDelivery inserts a delivery row and its queue job atomically.
func (q queries) insertDelivery(ctx context.Context, p store.DeliveryCreateParams, redrivenFrom *int64) (*store.Delivery, error) {
	var d *store.Delivery
	p.HoldUntil = time.Time{} // a delivery with its job is not held
	err := q.withTx(ctx, func(tx pgx.Tx) error {
		var err error
		if d, err = insertDeliveryRow(ctx, tx, p, redrivenFrom); err != nil {
			return err
		}
		if _, err = q.jobs.InsertTx(ctx, tx, jobs.Deliver{DeliveryID: d.ID}, deliverOpts); err != nil {
			return fmt.Errorf("postgres: enqueue delivery %d: %w", d.ID, err)
		}
		return nil
	})
	return d, err
}

// insertDeliverySQL inserts a pending delivery row (deliveryInsertArgs).
const insertDeliverySQL = `INSERT INTO deliveries
		(subscription_id, event_id, message_id, message_type, body, status, created_at, redriven_from, held_until)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ` + deliveryColumns

// deliveryInsertArgs are insertDeliverySQL's arguments: the row is held
// until p.HoldUntil if set.
func deliveryInsertArgs(p store.DeliveryCreateParams, redrivenFrom *int64) []any {
	var heldUntil *time.Time
	if !p.HoldUntil.IsZero() {
		t := ts(p.HoldUntil)
		heldUntil = &t
	}
	return []any{p.SubscriptionID, p.EventID, p.MessageID, p.MessageType, p.Body, store.DeliveryPending, ts(p.CreatedAt),
		redrivenFrom, heldUntil}
}

// insertDeliveryRow inserts a pending delivery row, without its job.
func insertDeliveryRow(ctx context.Context, tx pgx.Tx, p store.DeliveryCreateParams, redrivenFrom *int64) (*store.Delivery, error) {
	d, err := scanDelivery(tx.QueryRow(ctx, insertDeliverySQL, deliveryInsertArgs(p, redrivenFrom)...))
	if err != nil {
		return nil, fmt.Errorf("postgres: create delivery: %w", translate(err))
	}
	return d, nil
}

// DeliveryGet returns a delivery.
func (q queries) DeliveryGet(ctx context.Context, id int64) (*store.Delivery, error) {
	d, err := scanDelivery(q.ex.QueryRow(ctx, `SELECT `+deliveryColumns+` FROM deliveries WHERE id = $1`, id))
	if err != nil {
		return nil, fmt.Errorf("postgres: delivery %d: %w", id, translate(err))
	}
	return d, nil
}

// DeliveryRecordAttempt logs an attempt (if any) and sets the new status.
func (q queries) DeliveryRecordAttempt(ctx context.Context, p store.DeliveryAttemptParams) error {
	var stale bool
	err := q.withTx(ctx, func(tx pgx.Tx) error {
		recorded, err := recordAttempt(ctx, tx, p)
		if err != nil {
			return fmt.Errorf("postgres: record attempt of delivery %d: %w", p.ID, translate(err))
		}
		if stale = !recorded; stale {
			return nil
		}
		return q.settleHeld(ctx, tx, p)
	})
	if err == nil && stale {
		return fmt.Errorf("postgres: delivery %d is no longer pending: %w", p.ID, store.ErrConflict)
	}
	return err
}

// settleHeld lifts a direct send's hold in tx (deliveryjobs.Settle).
func (q queries) settleHeld(ctx context.Context, tx pgx.Tx, p store.DeliveryAttemptParams) error {
	if _, err := deliveryjobs.Settle(ctx, q.jobs, tx, pgExec(tx), p); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	return nil
}

// pgExec runs deliveryjobs' statements in tx.
func pgExec(tx pgx.Tx) deliveryjobs.Exec {
	return func(ctx context.Context, query string, id int64) (int64, error) {
		tag, err := tx.Exec(ctx, strings.Replace(query, "?", "$1", 1), id)
		return tag.RowsAffected(), err
	}
}

// DeliveryReleaseHeld hands a held delivery to the queue, due at at.
func (q queries) DeliveryReleaseHeld(ctx context.Context, deliveryID int64, at time.Time) error {
	return q.withTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE deliveries SET held_until = NULL, next_attempt_at = $1
			WHERE id = $2 AND held_until IS NOT NULL`, ts(at), deliveryID)
		if err != nil {
			return fmt.Errorf("postgres: release delivery %d: %w", deliveryID, translate(err))
		}
		if tag.RowsAffected() == 0 {
			return nil // no longer held: the queue has it
		}
		if _, err := deliveryjobs.Lifted(ctx, q.jobs, tx, pgExec(tx), deliveryjobs.ReleaseParams(deliveryID, at)); err != nil {
			return fmt.Errorf("postgres: %w", err)
		}
		return nil
	})
}

// DeliveryReleaseExpiredHolds hands up to limit deliveries whose hold
// ended before the given time to the queue. Nodes releasing at the same
// time skip each other's rows.
func (q queries) DeliveryReleaseExpiredHolds(ctx context.Context, before time.Time, limit int) (int, error) {
	var lifted int
	err := q.withTx(ctx, func(tx pgx.Tx) error {
		lifted = 0
		rows, err := tx.Query(ctx, `UPDATE deliveries SET held_until = NULL, next_attempt_at = $1
			WHERE id IN (SELECT id FROM deliveries WHERE held_until <= $1 ORDER BY held_until LIMIT $2 FOR UPDATE SKIP LOCKED)
			RETURNING id, status`, ts(before), limit)
		if err != nil {
			return fmt.Errorf("postgres: release expired holds: %w", err)
		}
		var pending []int64
		for rows.Next() {
			var id int64
			var status store.DeliveryStatus
			if err := rows.Scan(&id, &status); err != nil {
				rows.Close()
				return fmt.Errorf("postgres: release expired holds: %w", err)
			}
			lifted++
			if status == store.DeliveryPending {
				pending = append(pending, id)
			}
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("postgres: release expired holds: %w", err)
		}
		if err := deliveryjobs.EnqueueReady(ctx, q.jobs, tx, pending); err != nil {
			return fmt.Errorf("postgres: %w", err)
		}
		return nil
	})
	return lifted, err
}

// insertAttempt adds one row to the attempt log; the attempt's number is
// the delivery's attempt count after it.
func insertAttempt(ctx context.Context, tx pgx.Tx, p store.DeliveryAttemptParams) error {
	a := p.Attempt
	var status *int
	if a.StatusCode != 0 {
		status = &a.StatusCode
	}
	_, err := tx.Exec(ctx, `INSERT INTO delivery_attempts
		(delivery_id, subscription_id, number, started_at, duration_us, status_code, outcome, error, response_excerpt)
		SELECT id, subscription_id, attempts + 1, $1::timestamptz, $2::bigint, $3::integer, $4::text, $5::text, $6::bytea
		FROM deliveries WHERE id = $7`,
		ts(a.StartedAt), a.Duration.Microseconds(), status, a.Outcome, nullString(a.Error), nullBytes(a.ResponseExcerpt), p.ID)
	if err != nil {
		return fmt.Errorf("postgres: log attempt of delivery %d: %w", p.ID, translate(err))
	}
	return nil
}

// nullString stores an empty string as NULL.
func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// DeliveryAttemptList returns a delivery's attempts, oldest first.
func (q queries) DeliveryAttemptList(ctx context.Context, deliveryID int64) ([]*store.Attempt, error) {
	rows, err := q.ex.Query(ctx, `SELECT id, delivery_id, subscription_id, number, started_at, duration_us,
		COALESCE(status_code, 0), outcome, COALESCE(error, ''), response_excerpt
		FROM delivery_attempts WHERE delivery_id = $1 ORDER BY id`, deliveryID)
	if err != nil {
		return nil, fmt.Errorf("postgres: list attempts: %w", err)
	}
	return collect(rows, func(s scanner) (*store.Attempt, error) {
		var a store.Attempt
		var dur int64
		err := s.Scan(&a.ID, &a.DeliveryID, &a.SubscriptionID, &a.Number, &a.StartedAt, &dur, &a.StatusCode, &a.Outcome, &a.Error, &a.ResponseExcerpt)
		utc(&a.StartedAt)
		a.Duration = time.Duration(dur) * time.Microsecond
		return &a, err
	})
}

// DeliveryRedrive re-sends a dead letter as a new delivery.
func (q queries) DeliveryRedrive(ctx context.Context, id int64, at time.Time) (*store.Delivery, error) {
	var d *store.Delivery
	err := q.withTx(ctx, func(tx pgx.Tx) error {
		inTx := queries{ex: tx, jobs: q.jobs, db: q.db}
		tag, err := tx.Exec(ctx, `UPDATE deliveries SET status = $1 WHERE id = $2 AND status = $3`,
			store.DeliveryRedriven, id, store.DeliveryDead)
		if err != nil {
			return fmt.Errorf("postgres: redrive %d: %w", id, translate(err))
		}
		if tag.RowsAffected() == 0 {
			if _, err := inTx.DeliveryGet(ctx, id); err != nil {
				return err
			}
			return fmt.Errorf("postgres: delivery %d is not a dead letter: %w", id, store.ErrConflict)
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
	err := q.ex.QueryRow(ctx, `SELECT
		COUNT(*) FILTER (WHERE status = $1),
		COUNT(*) FILTER (WHERE status = $2),
		MIN(created_at) FILTER (WHERE status = $1)
		FROM deliveries WHERE status IN ($1, $2)`,
		store.DeliveryPending, store.DeliveryDead).Scan(&st.Pending, &st.Dead, &st.OldestPending)
	if err != nil {
		return nil, fmt.Errorf("postgres: delivery stats: %w", err)
	}
	st.OldestPending = utcPtr(st.OldestPending)
	return &st, nil
}

// AttemptDeleteBefore deletes attempts started before t.
func (q queries) AttemptDeleteBefore(ctx context.Context, t time.Time) (int, error) {
	tag, err := q.ex.Exec(ctx, `DELETE FROM delivery_attempts WHERE started_at < $1`, ts(t))
	if err != nil {
		return 0, fmt.Errorf("postgres: delete attempts: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// withTx runs fn in the current transaction, or in a new one when these
// queries run outside a transaction.
func (q queries) withTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	if tx, ok := q.ex.(pgx.Tx); ok {
		return fn(tx)
	}
	return q.db.InPgxTx(ctx, fn)
}
