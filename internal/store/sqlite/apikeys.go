package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

const apiKeyColumns = `id, account_id, key, secret_sealed, user_id, is_primary, created_at, revoked_at`

// APIKeyCreate inserts an API key.
func (q queries) APIKeyCreate(ctx context.Context, p store.APIKeyCreateParams) (*store.APIKey, error) {
	var userID sql.NullInt64
	if p.UserID != nil {
		userID = sql.NullInt64{Int64: *p.UserID, Valid: true}
	}
	k, err := returning(ctx, q, scanAPIKey,
		`INSERT INTO api_keys (account_id, key, secret_sealed, user_id, is_primary, created_at)
		 VALUES (?, ?, ?, ?, ?, ?) RETURNING `+apiKeyColumns,
		p.AccountID, p.Key, p.SecretSealed, userID, p.Primary, micros(p.CreatedAt))
	if err != nil {
		return nil, fmt.Errorf("sqlite: create api key: %w", translate(err))
	}
	return k, nil
}

// APIKeyGetByKey returns the key with the given identifier.
func (q queries) APIKeyGetByKey(ctx context.Context, key string) (*store.APIKey, error) {
	row := q.ex.QueryRowContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE key = ?`, key)
	k, err := scanAPIKey(row)
	if err != nil {
		return nil, fmt.Errorf("sqlite: api key: %w", translate(err))
	}
	return k, nil
}

// APIKeyListByAccount returns the account's keys in creation order.
func (q queries) APIKeyListByAccount(ctx context.Context, accountID int64) ([]*store.APIKey, error) {
	rows, err := q.ex.QueryContext(ctx,
		`SELECT `+apiKeyColumns+` FROM api_keys WHERE account_id = ? ORDER BY id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list api keys: %w", err)
	}
	return collect(rows, scanAPIKey)
}

// APIKeyRevoke marks a key revoked, keeping the first revocation time.
func (q queries) APIKeyRevoke(ctx context.Context, p store.APIKeyRevokeParams) (*store.APIKey, error) {
	k, err := returning(ctx, q, scanAPIKey,
		`UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?)
		 WHERE account_id = ? AND key = ? RETURNING `+apiKeyColumns,
		micros(p.RevokedAt), p.AccountID, p.Key)
	if err != nil {
		return nil, fmt.Errorf("sqlite: revoke api key: %w", translate(err))
	}
	return k, nil
}

func scanAPIKey(s scanner) (*store.APIKey, error) {
	var k store.APIKey
	var userID, revoked sql.NullInt64
	var created int64
	if err := s.Scan(&k.ID, &k.AccountID, &k.Key, &k.SecretSealed, &userID, &k.Primary, &created, &revoked); err != nil {
		return nil, err
	}
	if userID.Valid {
		k.UserID = &userID.Int64
	}
	k.CreatedAt = fromMicros(created)
	k.RevokedAt = timePtr(revoked)
	return &k, nil
}
