package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// AccountCreate inserts an account.
func (q queries) AccountCreate(ctx context.Context, p store.AccountCreateParams) (*store.Account, error) {
	a, err := scanAccount(q.ex.QueryRow(ctx,
		`INSERT INTO accounts (name, created_at) VALUES ($1, $2) RETURNING `+accountColumns, p.Name, ts(p.CreatedAt)))
	if err != nil {
		return nil, fmt.Errorf("postgres: create account: %w", translate(err))
	}
	return a, nil
}

// AccountGet returns one account.
func (q queries) AccountGet(ctx context.Context, id int64) (*store.Account, error) {
	row := q.ex.QueryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = $1`, id)
	a, err := scanAccount(row)
	if err != nil {
		return nil, fmt.Errorf("postgres: account %d: %w", id, translate(err))
	}
	return a, nil
}

// AccountList returns every account in ID order.
func (q queries) AccountList(ctx context.Context) ([]*store.Account, error) {
	rows, err := q.ex.Query(ctx, `SELECT `+accountColumns+` FROM accounts ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("postgres: list accounts: %w", err)
	}
	return collect(rows, scanAccount)
}

// scanner is a pgx.Row or pgx.Rows.
type scanner interface{ Scan(dest ...any) error }

const accountColumns = `id, name, created_at, delivery_policy`

func scanAccount(s scanner) (*store.Account, error) {
	var a store.Account
	if err := s.Scan(&a.ID, &a.Name, &a.CreatedAt, &a.DeliveryPolicy); err != nil {
		return nil, err
	}
	utc(&a.CreatedAt)
	return &a, nil
}

// collect scans every row with scan and closes rows.
func collect[T any](rows pgx.Rows, scan func(scanner) (T, error)) ([]T, error) {
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
	a, err := scanAccount(q.ex.QueryRow(ctx,
		`UPDATE accounts SET delivery_policy = $1 WHERE id = $2 RETURNING `+accountColumns, nullBytes(policy), id))
	if err != nil {
		return nil, fmt.Errorf("postgres: set account policy: %w", translate(err))
	}
	return a, nil
}

// nullBytes stores an empty slice as NULL.
func nullBytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// SettingGet returns a server-wide setting.
func (q queries) SettingGet(ctx context.Context, name string) ([]byte, error) {
	var v []byte
	err := q.ex.QueryRow(ctx, `SELECT value FROM settings WHERE name = $1`, name).Scan(&v)
	if err != nil {
		return nil, fmt.Errorf("postgres: setting %q: %w", name, translate(err))
	}
	return v, nil
}

// SettingPutIfAbsent stores value unless name is set, returning what is stored.
func (q queries) SettingPutIfAbsent(ctx context.Context, name string, value []byte) ([]byte, error) {
	if _, err := q.ex.Exec(ctx,
		`INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, value); err != nil {
		return nil, fmt.Errorf("postgres: put setting %q: %w", name, translate(err))
	}
	return q.SettingGet(ctx, name)
}
