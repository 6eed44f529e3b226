package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// SigningKeyCreate stores a key version.
func (q queries) SigningKeyCreate(ctx context.Context, k store.SigningKey) error {
	err := q.ex.QueryRow(ctx,
		`INSERT INTO signing_keys (account_id, version, private_key_sealed, public_key_pem, created_at) VALUES ($1, $2, $3, $4, $5)
		 ON CONFLICT DO NOTHING RETURNING version`,
		k.AccountID, k.Version, k.PrivateKeySealed, k.PublicKeyPEM, ts(k.CreatedAt)).Scan(&k.Version)
	if err != nil {
		return fmt.Errorf("postgres: create signing key: %w", insertedOrConflict(err))
	}
	return nil
}

const signingKeyColumns = `account_id, version, private_key_sealed, public_key_pem, created_at`

func scanSigningKey(s scanner) (*store.SigningKey, error) {
	var k store.SigningKey
	if err := s.Scan(&k.AccountID, &k.Version, &k.PrivateKeySealed, &k.PublicKeyPEM, &k.CreatedAt); err != nil {
		return nil, err
	}
	utc(&k.CreatedAt)
	return &k, nil
}

// SigningKeyCurrent returns the account's newest key.
func (q queries) SigningKeyCurrent(ctx context.Context, accountID int64) (*store.SigningKey, error) {
	row := q.ex.QueryRow(ctx, `SELECT `+signingKeyColumns+` FROM signing_keys
		WHERE account_id = $1 ORDER BY version DESC LIMIT 1`, accountID)
	k, err := scanSigningKey(row)
	if err != nil {
		return nil, fmt.Errorf("postgres: signing key of account %d: %w", accountID, translate(err))
	}
	return k, nil
}

// SigningKeyGet returns one key version.
func (q queries) SigningKeyGet(ctx context.Context, accountID, version int64) (*store.SigningKey, error) {
	row := q.ex.QueryRow(ctx, `SELECT `+signingKeyColumns+` FROM signing_keys
		WHERE account_id = $1 AND version = $2`, accountID, version)
	k, err := scanSigningKey(row)
	if err != nil {
		return nil, fmt.Errorf("postgres: signing key %d/%d: %w", accountID, version, translate(err))
	}
	return k, nil
}

// SigningKeyList returns the account's keys, oldest first.
func (q queries) SigningKeyList(ctx context.Context, accountID int64) ([]*store.SigningKey, error) {
	rows, err := q.ex.Query(ctx, `SELECT `+signingKeyColumns+` FROM signing_keys
		WHERE account_id = $1 ORDER BY version`, accountID)
	if err != nil {
		return nil, fmt.Errorf("postgres: list signing keys: %w", err)
	}
	return collect(rows, scanSigningKey)
}

const topicColumns = `id, account_id, endpoint, arn, created_at`

func scanTopic(s scanner) (*store.Topic, error) {
	var t store.Topic
	if err := s.Scan(&t.ID, &t.AccountID, &t.Endpoint, &t.ARN, &t.CreatedAt); err != nil {
		return nil, err
	}
	utc(&t.CreatedAt)
	return &t, nil
}

// TopicGetOrCreate returns the account's topic for the endpoint, creating it.
func (q queries) TopicGetOrCreate(ctx context.Context, p store.TopicCreateParams) (*store.Topic, error) {
	_, err := q.ex.Exec(ctx, `INSERT INTO topics (account_id, endpoint, arn, created_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (account_id, endpoint) DO NOTHING`, p.AccountID, p.Endpoint, p.ARN, ts(p.CreatedAt))
	if err != nil {
		return nil, fmt.Errorf("postgres: create topic: %w", translate(err))
	}
	return q.TopicGet(ctx, p.AccountID, p.Endpoint)
}

// TopicGet returns the account's topic for the endpoint.
func (q queries) TopicGet(ctx context.Context, accountID int64, endpoint string) (*store.Topic, error) {
	row := q.ex.QueryRow(ctx, `SELECT `+topicColumns+` FROM topics WHERE account_id = $1 AND endpoint = $2`,
		accountID, endpoint)
	t, err := scanTopic(row)
	if err != nil {
		return nil, fmt.Errorf("postgres: topic %d/%s: %w", accountID, endpoint, translate(err))
	}
	return t, nil
}

// TopicListByAccount returns the account's topics.
func (q queries) TopicListByAccount(ctx context.Context, accountID int64) ([]*store.Topic, error) {
	rows, err := q.ex.Query(ctx, `SELECT `+topicColumns+` FROM topics WHERE account_id = $1 ORDER BY id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("postgres: list topics: %w", err)
	}
	return collect(rows, scanTopic)
}

const subscriptionSelect = `SELECT s.id, s.topic_id, s.arn, s.url, s.status, s.api_key, s.created_at,
	s.confirmed_at, s.deleted_at, s.paused, s.delivery_policy, t.arn, t.account_id, t.endpoint, a.delivery_policy
	FROM subscriptions s JOIN topics t ON t.id = s.topic_id JOIN accounts a ON a.id = t.account_id `

func scanSubscription(s scanner) (*store.Subscription, error) {
	var sub store.Subscription
	if err := s.Scan(&sub.ID, &sub.TopicID, &sub.ARN, &sub.URL, &sub.Status, &sub.APIKey, &sub.CreatedAt,
		&sub.ConfirmedAt, &sub.DeletedAt, &sub.Paused, &sub.DeliveryPolicy, &sub.TopicARN, &sub.AccountID, &sub.Endpoint,
		&sub.AccountDeliveryPolicy); err != nil {
		return nil, err
	}
	utc(&sub.CreatedAt)
	sub.ConfirmedAt = utcPtr(sub.ConfirmedAt)
	sub.DeletedAt = utcPtr(sub.DeletedAt)
	return &sub, nil
}

// SubscriptionCreate adds a pending subscription.
func (q queries) SubscriptionCreate(ctx context.Context, p store.SubscriptionCreateParams) (*store.Subscription, error) {
	var id int64
	err := q.ex.QueryRow(ctx, `INSERT INTO subscriptions (topic_id, arn, url, status, api_key, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING id`,
		p.TopicID, p.ARN, p.URL, store.SubscriptionPending, p.APIKey, ts(p.CreatedAt)).Scan(&id)
	if err != nil {
		return nil, fmt.Errorf("postgres: create subscription: %w", insertedOrConflict(err))
	}
	return q.SubscriptionGet(ctx, id)
}

// querySubscription runs a one-row subscription query.
func (q queries) querySubscription(ctx context.Context, where string, args ...any) (*store.Subscription, error) {
	sub, err := scanSubscription(q.ex.QueryRow(ctx, subscriptionSelect+where, args...))
	if err != nil {
		return nil, fmt.Errorf("postgres: subscription: %w", translate(err))
	}
	return sub, nil
}

// SubscriptionGet returns a subscription by id.
func (q queries) SubscriptionGet(ctx context.Context, id int64) (*store.Subscription, error) {
	return q.querySubscription(ctx, `WHERE s.id = $1`, id)
}

// SubscriptionGetByARN returns a subscription by ARN.
func (q queries) SubscriptionGetByARN(ctx context.Context, arn string) (*store.Subscription, error) {
	return q.querySubscription(ctx, `WHERE s.arn = $1`, arn)
}

// SubscriptionGetLive returns the topic's live subscription for the URL.
func (q queries) SubscriptionGetLive(ctx context.Context, topicID int64, url string) (*store.Subscription, error) {
	return q.querySubscription(ctx, `WHERE s.topic_id = $1 AND s.url = $2 AND s.status <> $3`,
		topicID, url, store.SubscriptionDeleted)
}

// SubscriptionListByAccount returns the account's subscriptions.
func (q queries) SubscriptionListByAccount(ctx context.Context, accountID int64) ([]*store.Subscription, error) {
	rows, err := q.ex.Query(ctx, subscriptionSelect+`WHERE t.account_id = $1 ORDER BY s.id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("postgres: list subscriptions: %w", err)
	}
	return collect(rows, scanSubscription)
}

// SubscriptionListConfirmed returns the topic's confirmed subscriptions.
func (q queries) SubscriptionListConfirmed(ctx context.Context, topicID int64) ([]*store.Subscription, error) {
	rows, err := q.ex.Query(ctx, subscriptionSelect+`WHERE s.topic_id = $1 AND s.status = $2 ORDER BY s.id`,
		topicID, store.SubscriptionConfirmed)
	if err != nil {
		return nil, fmt.Errorf("postgres: list confirmed subscriptions: %w", err)
	}
	return collect(rows, scanSubscription)
}

// SubscriptionSetStatus moves a subscription to a status.
func (q queries) SubscriptionSetStatus(ctx context.Context, id int64, status store.SubscriptionStatus, at time.Time) (*store.Subscription, error) {
	var set string
	switch status {
	case store.SubscriptionConfirmed:
		set = `confirmed_at = $2, deleted_at = NULL`
	case store.SubscriptionDeleted:
		set = `deleted_at = $2`
	default:
		return nil, fmt.Errorf("postgres: a subscription cannot be moved to %q", status)
	}
	tag, err := q.ex.Exec(ctx, `UPDATE subscriptions SET status = $1, `+set+` WHERE id = $3`, status, ts(at), id)
	if err != nil {
		return nil, fmt.Errorf("postgres: set subscription status: %w", translate(err))
	}
	if tag.RowsAffected() == 0 {
		return nil, fmt.Errorf("postgres: subscription %d: %w", id, store.ErrNotFound)
	}
	return q.SubscriptionGet(ctx, id)
}

// SubscriptionSetPaused pauses or resumes a subscription.
func (q queries) SubscriptionSetPaused(ctx context.Context, id int64, paused bool) (*store.Subscription, error) {
	return q.updateSubscription(ctx, id, `paused = $1`, paused)
}

// SubscriptionSetPolicy sets or clears a subscription's delivery policy.
func (q queries) SubscriptionSetPolicy(ctx context.Context, id int64, policy []byte) (*store.Subscription, error) {
	return q.updateSubscription(ctx, id, `delivery_policy = $1`, nullBytes(policy))
}

// updateSubscription sets one column of a subscription and returns it.
func (q queries) updateSubscription(ctx context.Context, id int64, set string, value any) (*store.Subscription, error) {
	tag, err := q.ex.Exec(ctx, `UPDATE subscriptions SET `+set+` WHERE id = $2`, value, id)
	if err != nil {
		return nil, fmt.Errorf("postgres: update subscription: %w", translate(err))
	}
	if tag.RowsAffected() == 0 {
		return nil, fmt.Errorf("postgres: subscription %d: %w", id, store.ErrNotFound)
	}
	return q.SubscriptionGet(ctx, id)
}

// TokenCreate stores a confirmation token.
func (q queries) TokenCreate(ctx context.Context, t store.ConfirmationToken) error {
	err := q.ex.QueryRow(ctx, `INSERT INTO confirmation_tokens (token_hash, subscription_id, expires_at, created_at)
		VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING subscription_id`,
		t.TokenHash, t.SubscriptionID, ts(t.ExpiresAt), ts(t.CreatedAt)).Scan(&t.SubscriptionID)
	if err != nil {
		return fmt.Errorf("postgres: create token: %w", insertedOrConflict(err))
	}
	return nil
}

// TokenGet returns the token with the given hash.
func (q queries) TokenGet(ctx context.Context, hash []byte) (*store.ConfirmationToken, error) {
	var t store.ConfirmationToken
	err := q.ex.QueryRow(ctx, `SELECT token_hash, subscription_id, expires_at, created_at
		FROM confirmation_tokens WHERE token_hash = $1`, hash).Scan(&t.TokenHash, &t.SubscriptionID, &t.ExpiresAt, &t.CreatedAt)
	if err != nil {
		return nil, fmt.Errorf("postgres: token: %w", translate(err))
	}
	utc(&t.ExpiresAt, &t.CreatedAt)
	return &t, nil
}

// TokenDeleteExpired deletes expired tokens.
func (q queries) TokenDeleteExpired(ctx context.Context, before time.Time) (int, error) {
	tag, err := q.ex.Exec(ctx, `DELETE FROM confirmation_tokens WHERE expires_at < $1`, ts(before))
	if err != nil {
		return 0, fmt.Errorf("postgres: delete expired tokens: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
