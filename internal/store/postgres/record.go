package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// recordAttempt logs p's attempt (if any) and sets the delivery's status
// if it is still pending; it reports whether it was. A delivery no longer
// pending keeps its status, has the attempt counted and its hold lifted.
func recordAttempt(ctx context.Context, tx pgx.Tx, p store.DeliveryAttemptParams) (bool, error) {
	counted := 0
	if p.Attempt != nil {
		counted = 1
		if err := insertAttempt(ctx, tx, p); err != nil {
			return false, err
		}
	}
	var completed, dead *time.Time
	at := ts(p.At)
	switch p.Status {
	case store.DeliveryDelivered, store.DeliveryCancelled:
		completed = &at
	case store.DeliveryDead:
		dead = &at
	}
	var lastErr *string
	if p.Error != "" {
		lastErr = &p.Error
	}
	var next *time.Time
	if p.Status == store.DeliveryPending && !p.RetryAt.IsZero() {
		t := ts(p.RetryAt)
		next = &t
	}
	tag, err := tx.Exec(ctx, `UPDATE deliveries SET attempts = attempts + $1, status = $2,
		last_error = COALESCE($3, last_error), completed_at = $4, dead_at = $5, next_attempt_at = $6
		WHERE id = $7 AND status = $8`,
		counted, p.Status, lastErr, completed, dead, next, p.ID, store.DeliveryPending)
	if err != nil || tag.RowsAffected() == 1 {
		return true, err
	}
	tag, err = tx.Exec(ctx, `UPDATE deliveries SET attempts = attempts + $1, held_until = NULL WHERE id = $2`, counted, p.ID)
	if err == nil && tag.RowsAffected() == 0 {
		err = store.ErrNotFound
	}
	return false, err
}
