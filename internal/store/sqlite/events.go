package sqlite

import (
	"context"
	"database/sql"
	"fmt"

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
	e, err := returning(ctx, q, scanEvent, `INSERT INTO events
		(account_id, txn_id, subject, body, source_type, source_info, messages, deliveries, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING `+eventColumns,
		p.AccountID, p.TxnID, p.Subject, p.Body, p.SourceType, p.SourceInfo, p.Messages, p.Deliveries, micros(p.CreatedAt))
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
