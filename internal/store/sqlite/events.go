package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/riverqueue/river"

	"github.com/ivvy-notify/ivvy-notify/internal/jobs"
	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

const eventColumns = `id, account_id, txn_id, subject, body, source_type, source_info, messages, deliveries, created_at`

func scanEvent(s scanner) (*store.Event, error) {
	var e store.Event
	var info sql.NullString
	var created int64
	if err := s.Scan(&e.ID, &e.AccountID, &e.TxnID, &e.Subject, &e.Body, &e.SourceType, &info,
		&e.Messages, &e.Deliveries, &created); err != nil {
		return nil, err
	}
	if info.Valid {
		e.SourceInfo = &info.String
	}
	e.CreatedAt = fromMicros(created)
	return &e, nil
}

// EventCreate stores an event.
func (q queries) EventCreate(ctx context.Context, p store.EventCreateParams) (*store.Event, error) {
	row := q.ex.QueryRowContext(ctx, `INSERT INTO events
		(account_id, txn_id, subject, body, source_type, source_info, messages, deliveries, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING `+eventColumns,
		p.AccountID, p.TxnID, p.Subject, p.Body, p.SourceType, p.SourceInfo, p.Messages, p.Deliveries, micros(p.CreatedAt))
	e, err := scanEvent(row)
	if err != nil {
		return nil, fmt.Errorf("sqlite: create event: %w", translate(err))
	}
	return e, nil
}

// EventGetByTxnID returns the account's event with the TxnID.
func (q queries) EventGetByTxnID(ctx context.Context, accountID int64, txnID string) (*store.Event, error) {
	row := q.ex.QueryRowContext(ctx, `SELECT `+eventColumns+` FROM events WHERE account_id = ? AND txn_id = ?`,
		accountID, txnID)
	e, err := scanEvent(row)
	if err != nil {
		return nil, fmt.Errorf("sqlite: event %s: %w", txnID, translate(err))
	}
	return e, nil
}

const deliveryColumns = `id, subscription_id, event_id, message_id, message_type, body, status, attempts,
	COALESCE(last_error, ''), created_at, completed_at`

func scanDelivery(s scanner) (*store.Delivery, error) {
	var d store.Delivery
	var eventID, completed sql.NullInt64
	var created int64
	if err := s.Scan(&d.ID, &d.SubscriptionID, &eventID, &d.MessageID, &d.MessageType, &d.Body, &d.Status,
		&d.Attempts, &d.LastError, &created, &completed); err != nil {
		return nil, err
	}
	if eventID.Valid {
		d.EventID = &eventID.Int64
	}
	d.CreatedAt = fromMicros(created)
	d.CompletedAt = timePtr(completed)
	return &d, nil
}

// DeliveryCreate stores a pending delivery and enqueues its job in the same
// transaction.
func (q queries) DeliveryCreate(ctx context.Context, p store.DeliveryCreateParams) (*store.Delivery, error) {
	var d *store.Delivery
	err := q.withTx(ctx, func(tx *sql.Tx) error {
		row := tx.QueryRowContext(ctx, `INSERT INTO deliveries
			(subscription_id, event_id, message_id, message_type, body, status, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING `+deliveryColumns,
			p.SubscriptionID, p.EventID, p.MessageID, p.MessageType, p.Body, store.DeliveryPending, micros(p.CreatedAt))
		var err error
		if d, err = scanDelivery(row); err != nil {
			return fmt.Errorf("sqlite: create delivery: %w", translate(err))
		}
		_, err = q.jobs.InsertTx(ctx, tx, jobs.Deliver{DeliveryID: d.ID}, &river.InsertOpts{Queue: jobs.QueueDeliveries})
		if err != nil {
			return fmt.Errorf("sqlite: enqueue delivery %d: %w", d.ID, err)
		}
		return nil
	})
	return d, err
}

// DeliveryGet returns a delivery.
func (q queries) DeliveryGet(ctx context.Context, id int64) (*store.Delivery, error) {
	d, err := scanDelivery(q.ex.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries WHERE id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("sqlite: delivery %d: %w", id, translate(err))
	}
	return d, nil
}

// DeliveryRecordAttempt counts an attempt and sets the new status.
func (q queries) DeliveryRecordAttempt(ctx context.Context, p store.DeliveryAttemptParams) (*store.Delivery, error) {
	var completed *int64
	if p.Status != store.DeliveryPending {
		at := micros(p.At)
		completed = &at
	}
	var lastErr *string
	if p.Error != "" {
		lastErr = &p.Error
	}
	row := q.ex.QueryRowContext(ctx, `UPDATE deliveries SET attempts = attempts + 1, status = ?,
		last_error = COALESCE(?, last_error), completed_at = ? WHERE id = ? RETURNING `+deliveryColumns,
		p.Status, lastErr, completed, p.ID)
	d, err := scanDelivery(row)
	if err != nil {
		return nil, fmt.Errorf("sqlite: record attempt of delivery %d: %w", p.ID, translate(err))
	}
	return d, nil
}

// withTx runs fn in the current transaction, or in a new one when these
// queries run outside a transaction.
func (q queries) withTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if tx, ok := q.ex.(*sql.Tx); ok {
		return fn(tx)
	}
	return q.db.InSQLTx(ctx, fn)
}
