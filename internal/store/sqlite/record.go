package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// recordAttempt is DeliveryRecordAttempt in tx, but for the retry's job:
// it reports whether it lifted the delivery's hold (p.Held, and the hold
// not yet handed to the queue), in which case the caller enqueues it, and
// whether the delivery was no longer pending (notPending: its status was
// left as it is, the attempt counted and its hold lifted all the same).
func recordAttempt(ctx context.Context, tx *sql.Tx, p store.DeliveryAttemptParams) (lifted, notPending bool, err error) {
	counted := 0
	if p.Attempt != nil {
		counted = 1
		if err := insertAttempt(ctx, tx, p); err != nil {
			return false, false, err
		}
	}
	var completed, dead *int64
	at := micros(p.At)
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
	var next *int64
	if p.Status == store.DeliveryPending && !p.RetryAt.IsZero() {
		us := micros(p.RetryAt)
		next = &us
	}
	const set = `UPDATE deliveries SET attempts = attempts + ?, status = ?,
		last_error = COALESCE(?, last_error), completed_at = ?, dead_at = ?, next_attempt_at = ?`
	args := func() []any {
		return []any{counted, p.Status, lastErr, completed, dead, next, p.ID, store.DeliveryPending}
	}
	if p.Held {
		n, err := execCount(ctx, tx, set+`, held_until = NULL WHERE id = ? AND status = ? AND held_until IS NOT NULL`, args()...)
		if err != nil || n == 1 {
			return n == 1, false, recordErr(p.ID, err)
		}
	}
	n, err := execCount(ctx, tx, set+` WHERE id = ? AND status = ?`, args()...)
	if err != nil || n == 1 {
		return false, false, recordErr(p.ID, err)
	}
	n, err = execCount(ctx, tx, `UPDATE deliveries SET attempts = attempts + ?, held_until = NULL WHERE id = ?`, counted, p.ID)
	if err == nil && n == 0 {
		err = store.ErrNotFound
	}
	return false, err == nil, recordErr(p.ID, err)
}

// execCount runs a statement in tx and returns how many rows it changed.
func execCount(ctx context.Context, tx *sql.Tx, query string, args ...any) (int64, error) {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// recordErr says which delivery's record failed, or is nil.
func recordErr(id int64, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("sqlite: record attempt of delivery %d: %w", id, translate(err))
}

// insertAttempt adds one row to the attempt log; the attempt's number is
// the delivery's attempt count after it.
func insertAttempt(ctx context.Context, tx *sql.Tx, p store.DeliveryAttemptParams) error {
	a := p.Attempt
	var status *int
	if a.StatusCode != 0 {
		status = &a.StatusCode
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO delivery_attempts
		(delivery_id, subscription_id, number, started_at, duration_us, status_code, outcome, error, response_excerpt)
		SELECT id, subscription_id, attempts + 1, ?, ?, ?, ?, ?, ? FROM deliveries WHERE id = ?`,
		micros(a.StartedAt), a.Duration.Microseconds(), status, a.Outcome, nullString(a.Error), nullBytes(a.ResponseExcerpt), p.ID)
	if err != nil {
		return fmt.Errorf("sqlite: log attempt of delivery %d: %w", p.ID, translate(err))
	}
	return nil
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}
