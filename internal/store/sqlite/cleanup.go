package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// cancelPendingSQL cancels pending deliveries, lifting their holds; the
// caller appends the WHERE condition that picks them.
const cancelPendingSQL = `UPDATE deliveries SET status = ?, last_error = ?, completed_at = ?, held_until = NULL
	WHERE status = ? AND `

// SubscriptionDelete deletes a subscription for the operator: status,
// tokens and pending deliveries in one transaction.
func (q queries) SubscriptionDelete(ctx context.Context, id int64, reason string, at time.Time) (*store.Subscription, int, error) {
	var sub *store.Subscription
	var cancelled int
	err := q.withTx(ctx, func(tx *sql.Tx) error {
		n, err := execCount(ctx, tx, `UPDATE subscriptions
			SET deleted_at = CASE WHEN status = ? THEN deleted_at ELSE ? END, status = ? WHERE id = ?`,
			store.SubscriptionDeleted, micros(at), store.SubscriptionDeleted, id)
		if err != nil {
			return fmt.Errorf("sqlite: delete subscription %d: %w", id, translate(err))
		}
		if n == 0 {
			return fmt.Errorf("sqlite: subscription %d: %w", id, store.ErrNotFound)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM confirmation_tokens WHERE subscription_id = ?`, id); err != nil {
			return fmt.Errorf("sqlite: delete tokens of subscription %d: %w", id, err)
		}
		c, err := execCount(ctx, tx, cancelPendingSQL+`subscription_id = ?`,
			store.DeliveryCancelled, reason, micros(at), store.DeliveryPending, id)
		if err != nil {
			return fmt.Errorf("sqlite: cancel deliveries of subscription %d: %w", id, err)
		}
		cancelled = int(c)
		sub, err = queries{ex: tx, jobs: q.jobs, db: q.db}.SubscriptionGet(ctx, id)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return sub, cancelled, nil
}

// DeliveryCancel cancels one pending delivery for the operator.
func (q queries) DeliveryCancel(ctx context.Context, id int64, reason string, at time.Time) (*store.Delivery, error) {
	var d *store.Delivery
	err := q.withTx(ctx, func(tx *sql.Tx) error {
		n, err := execCount(ctx, tx, cancelPendingSQL+`id = ?`,
			store.DeliveryCancelled, reason, micros(at), store.DeliveryPending, id)
		if err != nil {
			return fmt.Errorf("sqlite: cancel delivery %d: %w", id, err)
		}
		inTx := queries{ex: tx, jobs: q.jobs, db: q.db}
		if d, err = inTx.DeliveryGet(ctx, id); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("sqlite: delivery %d is %s, not pending: %w", id, d.Status, store.ErrConflict)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}
