package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// cancelPendingSQL cancels pending deliveries, lifting their holds; the
// caller appends the condition on $5 that picks them.
const cancelPendingSQL = `UPDATE deliveries SET status = $1, last_error = $2, completed_at = $3, held_until = NULL
	WHERE status = $4 AND `

// SubscriptionDelete deletes a subscription for the operator: status,
// tokens and pending deliveries in one transaction.
func (q queries) SubscriptionDelete(ctx context.Context, id int64, reason string, at time.Time) (*store.Subscription, int, error) {
	var sub *store.Subscription
	var cancelled int
	err := q.withTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE subscriptions
			SET deleted_at = CASE WHEN status = $1 THEN deleted_at ELSE $2 END, status = $1 WHERE id = $3`,
			store.SubscriptionDeleted, ts(at), id)
		if err != nil {
			return fmt.Errorf("postgres: delete subscription %d: %w", id, translate(err))
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("postgres: subscription %d: %w", id, store.ErrNotFound)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM confirmation_tokens WHERE subscription_id = $1`, id); err != nil {
			return fmt.Errorf("postgres: delete tokens of subscription %d: %w", id, err)
		}
		tag, err = tx.Exec(ctx, cancelPendingSQL+`subscription_id = $5`,
			store.DeliveryCancelled, reason, ts(at), store.DeliveryPending, id)
		if err != nil {
			return fmt.Errorf("postgres: cancel deliveries of subscription %d: %w", id, err)
		}
		cancelled = int(tag.RowsAffected())
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
	err := q.withTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, cancelPendingSQL+`id = $5`, store.DeliveryCancelled, reason, ts(at), store.DeliveryPending, id)
		if err != nil {
			return fmt.Errorf("postgres: cancel delivery %d: %w", id, err)
		}
		if d, err = (queries{ex: tx, jobs: q.jobs, db: q.db}).DeliveryGet(ctx, id); err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("postgres: delivery %d is %s, not pending: %w", id, d.Status, store.ErrConflict)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}
