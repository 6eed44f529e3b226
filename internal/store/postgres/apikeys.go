package postgres

import (
	"context"
	"fmt"

	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

const apiKeyColumns = `id, account_id, key, secret_sealed, user_id, is_primary, created_at, revoked_at`

// APIKeyCreate inserts an API key.
func (q queries) APIKeyCreate(ctx context.Context, p store.APIKeyCreateParams) (*store.APIKey, error) {
	row := q.ex.QueryRow(ctx,
		`INSERT INTO api_keys (account_id, key, secret_sealed, user_id, is_primary, created_at)
		 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING `+apiKeyColumns,
		p.AccountID, p.Key, p.SecretSealed, p.UserID, p.Primary, ts(p.CreatedAt))
	k, err := scanAPIKey(row)
	if err != nil {
		return nil, fmt.Errorf("postgres: create api key: %w", insertedOrConflict(err))
	}
	return k, nil
}

// APIKeyGetByKey returns the key with the given identifier.
func (q queries) APIKeyGetByKey(ctx context.Context, key string) (*store.APIKey, error) {
	row := q.ex.QueryRow(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE key = $1`, key)
	k, err := scanAPIKey(row)
	if err != nil {
		return nil, fmt.Errorf("postgres: api key: %w", translate(err))
	}
	return k, nil
}

// APIKeyListByAccount returns the account's keys in creation order.
func (q queries) APIKeyListByAccount(ctx context.Context, accountID int64) ([]*store.APIKey, error) {
	rows, err := q.ex.Query(ctx,
		`SELECT `+apiKeyColumns+` FROM api_keys WHERE account_id = $1 ORDER BY id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("postgres: list api keys: %w", err)
	}
	return collect(rows, scanAPIKey)
}

// APIKeyRevoke marks a key revoked, keeping the first revocation time.
func (q queries) APIKeyRevoke(ctx context.Context, p store.APIKeyRevokeParams) (*store.APIKey, error) {
	row := q.ex.QueryRow(ctx,
		`UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1)
		 WHERE account_id = $2 AND key = $3 RETURNING `+apiKeyColumns,
		ts(p.RevokedAt), p.AccountID, p.Key)
	k, err := scanAPIKey(row)
	if err != nil {
		return nil, fmt.Errorf("postgres: revoke api key: %w", translate(err))
	}
	return k, nil
}

func scanAPIKey(s scanner) (*store.APIKey, error) {
	var k store.APIKey
	if err := s.Scan(&k.ID, &k.AccountID, &k.Key, &k.SecretSealed, &k.UserID, &k.Primary, &k.CreatedAt, &k.RevokedAt); err != nil {
		return nil, err
	}
	utc(&k.CreatedAt)
	k.RevokedAt = utcPtr(k.RevokedAt)
	return &k, nil
}
