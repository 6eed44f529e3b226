package postgres

import (
	"context"
	"fmt"

	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

const eventColumns = `id, account_id, txn_id, subject, body, source_type, source_info, messages, deliveries, created_at`

func scanEvent(s scanner) (*store.Event, error) {
	var e store.Event
	if err := s.Scan(&e.ID, &e.AccountID, &e.TxnID, &e.Subject, &e.Body, &e.SourceType, &e.SourceInfo,
		&e.Messages, &e.Deliveries, &e.CreatedAt); err != nil {
		return nil, err
	}
	utc(&e.CreatedAt)
	return &e, nil
}

// EventCreate stores an event; a TxnID already used is ErrConflict, and
// leaves the caller's transaction usable.
func (q queries) EventCreate(ctx context.Context, p store.EventCreateParams) (*store.Event, error) {
	row := q.ex.QueryRow(ctx, `INSERT INTO events
		(account_id, txn_id, subject, body, source_type, source_info, messages, deliveries, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING RETURNING `+eventColumns,
		p.AccountID, p.TxnID, p.Subject, p.Body, p.SourceType, p.SourceInfo, p.Messages, p.Deliveries, ts(p.CreatedAt))
	e, err := scanEvent(row)
	if err != nil {
		return nil, fmt.Errorf("postgres: create event: %w", insertedOrConflict(err))
	}
	return e, nil
}

// EventGetByTxnID returns the account's event with the TxnID.
func (q queries) EventGetByTxnID(ctx context.Context, accountID int64, txnID string) (*store.Event, error) {
	row := q.ex.QueryRow(ctx, `SELECT `+eventColumns+` FROM events WHERE account_id = $1 AND txn_id = $2`,
		accountID, txnID)
	e, err := scanEvent(row)
	if err != nil {
		return nil, fmt.Errorf("postgres: event %s: %w", txnID, translate(err))
	}
	return e, nil
}

// EventTxnIDsTaken returns which of the TxnIDs the account's events have.
func (q queries) EventTxnIDsTaken(ctx context.Context, accountID int64, txnIDs []string) (map[string]bool, error) {
	taken := map[string]bool{}
	if len(txnIDs) == 0 {
		return taken, nil
	}
	rows, err := q.ex.Query(ctx, `SELECT txn_id FROM events WHERE account_id = $1 AND txn_id = ANY($2)`, accountID, txnIDs)
	if err != nil {
		return nil, fmt.Errorf("postgres: events' TxnIDs: %w", err)
	}
	ids, err := collect(rows, scanString)
	if err != nil {
		return nil, fmt.Errorf("postgres: events' TxnIDs: %w", err)
	}
	for _, id := range ids {
		taken[id] = true
	}
	return taken, nil
}

// scanString scans a row of one text column.
func scanString(s scanner) (string, error) {
	var v string
	err := s.Scan(&v)
	return v, err
}
