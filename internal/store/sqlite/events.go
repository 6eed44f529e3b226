package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
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

// EventCreate stores an event. Only the new row's ID is read back: the
// rest is what was written.
func (q queries) EventCreate(ctx context.Context, p store.EventCreateParams) (*store.Event, error) {
	created := micros(p.CreatedAt)
	e := &store.Event{AccountID: p.AccountID, TxnID: p.TxnID, Subject: p.Subject, Body: p.Body,
		SourceType: p.SourceType, SourceInfo: clonePtr(p.SourceInfo), Messages: p.Messages, Deliveries: p.Deliveries,
		CreatedAt: fromMicros(created)}
	id, err := returning(ctx, q, scanID, `INSERT INTO events
		(account_id, txn_id, subject, body, source_type, source_info, messages, deliveries, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		p.AccountID, p.TxnID, p.Subject, p.Body, p.SourceType, p.SourceInfo, p.Messages, p.Deliveries, created)
	if err != nil {
		return nil, fmt.Errorf("sqlite: create event: %w", translate(err))
	}
	e.ID = id
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

// EventTxnIDsTaken returns which of the TxnIDs the account's events have.
// The list travels as one JSON array, so the statement's text (and its
// cached plan) is the same for any number of them.
func (q queries) EventTxnIDsTaken(ctx context.Context, accountID int64, txnIDs []string) (map[string]bool, error) {
	taken := map[string]bool{}
	if len(txnIDs) == 0 {
		return taken, nil
	}
	list, err := json.Marshal(txnIDs)
	if err != nil {
		return nil, err
	}
	rows, err := q.ex.QueryContext(ctx, `SELECT txn_id FROM events
		WHERE account_id = ? AND txn_id IN (SELECT value FROM json_each(?))`, accountID, string(list))
	if err != nil {
		return nil, fmt.Errorf("sqlite: events' TxnIDs: %w", err)
	}
	ids, err := collect(rows, scanString)
	if err != nil {
		return nil, fmt.Errorf("sqlite: events' TxnIDs: %w", err)
	}
	for _, id := range ids {
		taken[id] = true
	}
	return taken, nil
}

// scanID scans a row of one integer column.
func scanID(s scanner) (int64, error) {
	var id int64
	err := s.Scan(&id)
	return id, err
}

// scanString scans a row of one text column.
func scanString(s scanner) (string, error) {
	var v string
	err := s.Scan(&v)
	return v, err
}
