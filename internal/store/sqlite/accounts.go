package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// AccountCreate inserts an account.
func (q queries) AccountCreate(ctx context.Context, p store.AccountCreateParams) (*store.Account, error) {
	res, err := q.ex.ExecContext(ctx,
		`INSERT INTO accounts (name, created_at) VALUES (?, ?)`, p.Name, micros(p.CreatedAt))
	if err != nil {
		return nil, fmt.Errorf("sqlite: create account: %w", translate(err))
	}
	id, err := res.LastInsertId()
	if err != nil {
		return nil, err
	}
	return &store.Account{ID: id, Name: p.Name, CreatedAt: fromMicros(micros(p.CreatedAt))}, nil
}

// AccountGet returns one account.
func (q queries) AccountGet(ctx context.Context, id int64) (*store.Account, error) {
	return lookup(q, lookupKey{kind: lookupAccount, id: id}, func() (*store.Account, error) {
		a, err := scanAccount(q.ex.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = ?`, id))
		if err != nil {
			return nil, fmt.Errorf("sqlite: account %d: %w", id, translate(err))
		}
		return a, nil
	}, copyOf)
}

// AccountList returns every account in ID order.
func (q queries) AccountList(ctx context.Context) ([]*store.Account, error) {
	rows, err := q.ex.QueryContext(ctx, `SELECT `+accountColumns+` FROM accounts ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list accounts: %w", err)
	}
	return collect(rows, scanAccount)
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

const accountColumns = `id, name, created_at, delivery_policy`

func scanAccount(s scanner) (*store.Account, error) {
	var a store.Account
	var created int64
	if err := s.Scan(&a.ID, &a.Name, &created, &a.DeliveryPolicy); err != nil {
		return nil, err
	}
	a.CreatedAt = fromMicros(created)
	return &a, nil
}

// collect scans every row with scan and closes rows.
func collect[T any](rows *sql.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// AccountSetPolicy sets or clears the account's delivery policy.
func (q queries) AccountSetPolicy(ctx context.Context, id int64, policy []byte) (*store.Account, error) {
	a, err := returning(ctx, q, scanAccount,
		`UPDATE accounts SET delivery_policy = ? WHERE id = ? RETURNING `+accountColumns, nullBytes(policy), id)
	if err != nil {
		return nil, fmt.Errorf("sqlite: set account policy: %w", translate(err))
	}
	return a, nil
}

// nullBytes stores an empty slice as NULL.
func nullBytes(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// SettingGet returns a server-wide setting.
func (q queries) SettingGet(ctx context.Context, name string) ([]byte, error) {
	var v []byte
	err := q.ex.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = ?`, name).Scan(&v)
	if err != nil {
		return nil, fmt.Errorf("sqlite: setting %q: %w", name, translate(err))
	}
	return v, nil
}

// SettingPutIfAbsent stores value unless name is set, returning what is stored.
func (q queries) SettingPutIfAbsent(ctx context.Context, name string, value []byte) ([]byte, error) {
	if _, err := q.ex.ExecContext(ctx,
		`INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, name, value); err != nil {
		return nil, fmt.Errorf("sqlite: put setting %q: %w", name, translate(err))
	}
	return q.SettingGet(ctx, name)
}
