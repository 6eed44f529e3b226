package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// SigningKeyCreate stores a key version.
func (q queries) SigningKeyCreate(ctx context.Context, k store.SigningKey) error {
	_, err := q.ex.ExecContext(ctx,
		`INSERT INTO signing_keys (account_id, version, private_key_sealed, public_key_pem, created_at) VALUES (?, ?, ?, ?, ?)`,
		k.AccountID, k.Version, k.PrivateKeySealed, k.PublicKeyPEM, micros(k.CreatedAt))
	if err != nil {
		return fmt.Errorf("sqlite: create signing key: %w", translate(err))
	}
	return nil
}

const signingKeyColumns = `account_id, version, private_key_sealed, public_key_pem, created_at`

func scanSigningKey(s scanner) (*store.SigningKey, error) {
	var k store.SigningKey
	var created int64
	if err := s.Scan(&k.AccountID, &k.Version, &k.PrivateKeySealed, &k.PublicKeyPEM, &created); err != nil {
		return nil, err
	}
	k.CreatedAt = fromMicros(created)
	return &k, nil
}

// SigningKeyCurrent returns the account's newest key.
func (q queries) SigningKeyCurrent(ctx context.Context, accountID int64) (*store.SigningKey, error) {
	return lookup(q, lookupKey{kind: lookupSigningKey, id: accountID}, func() (*store.SigningKey, error) {
		row := q.ex.QueryRowContext(ctx, `SELECT `+signingKeyColumns+` FROM signing_keys
			WHERE account_id = ? ORDER BY version DESC LIMIT 1`, accountID)
		k, err := scanSigningKey(row)
		if err != nil {
			return nil, fmt.Errorf("sqlite: signing key of account %d: %w", accountID, translate(err))
		}
		return k, nil
	}, copyOf)
}

// SigningKeyGet returns one key version.
func (q queries) SigningKeyGet(ctx context.Context, accountID, version int64) (*store.SigningKey, error) {
	row := q.ex.QueryRowContext(ctx, `SELECT `+signingKeyColumns+` FROM signing_keys
		WHERE account_id = ? AND version = ?`, accountID, version)
	k, err := scanSigningKey(row)
	if err != nil {
		return nil, fmt.Errorf("sqlite: signing key %d/%d: %w", accountID, version, translate(err))
	}
	return k, nil
}

// SigningKeyList returns the account's keys, oldest first.
func (q queries) SigningKeyList(ctx context.Context, accountID int64) ([]*store.SigningKey, error) {
	rows, err := q.ex.QueryContext(ctx, `SELECT `+signingKeyColumns+` FROM signing_keys
		WHERE account_id = ? ORDER BY version`, accountID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list signing keys: %w", err)
	}
	return collect(rows, scanSigningKey)
}

const topicColumns = `id, account_id, endpoint, arn, created_at`

func scanTopic(s scanner) (*store.Topic, error) {
	var t store.Topic
	var created int64
	if err := s.Scan(&t.ID, &t.AccountID, &t.Endpoint, &t.ARN, &created); err != nil {
		return nil, err
	}
	t.CreatedAt = fromMicros(created)
	return &t, nil
}

// TopicGetOrCreate returns the account's topic for the endpoint, creating it.
func (q queries) TopicGetOrCreate(ctx context.Context, p store.TopicCreateParams) (*store.Topic, error) {
	_, err := q.ex.ExecContext(ctx, `INSERT INTO topics (account_id, endpoint, arn, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (account_id, endpoint) DO NOTHING`, p.AccountID, p.Endpoint, p.ARN, micros(p.CreatedAt))
	if err != nil {
		return nil, fmt.Errorf("sqlite: create topic: %w", translate(err))
	}
	return q.TopicGet(ctx, p.AccountID, p.Endpoint)
}

// TopicGet returns the account's topic for the endpoint.
func (q queries) TopicGet(ctx context.Context, accountID int64, endpoint string) (*store.Topic, error) {
	return lookup(q, lookupKey{kind: lookupTopic, id: accountID, name: endpoint}, func() (*store.Topic, error) {
		row := q.ex.QueryRowContext(ctx, `SELECT `+topicColumns+` FROM topics WHERE account_id = ? AND endpoint = ?`,
			accountID, endpoint)
		t, err := scanTopic(row)
		if err != nil {
			return nil, fmt.Errorf("sqlite: topic %d/%s: %w", accountID, endpoint, translate(err))
		}
		return t, nil
	}, copyOf)
}

// TopicListByAccount returns the account's topics.
func (q queries) TopicListByAccount(ctx context.Context, accountID int64) ([]*store.Topic, error) {
	rows, err := q.ex.QueryContext(ctx, `SELECT `+topicColumns+` FROM topics WHERE account_id = ? ORDER BY id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list topics: %w", err)
	}
	return collect(rows, scanTopic)
}

const subscriptionSelect = `SELECT s.id, s.topic_id, s.arn, s.url, s.status, s.api_key, s.created_at,
	s.confirmed_at, s.deleted_at, s.paused, s.delivery_policy, t.arn, t.account_id, t.endpoint, a.delivery_policy
	FROM subscriptions s JOIN topics t ON t.id = s.topic_id JOIN accounts a ON a.id = t.account_id `

func scanSubscription(s scanner) (*store.Subscription, error) {
	var sub store.Subscription
	var created int64
	var confirmed, deleted sql.NullInt64
	if err := s.Scan(&sub.ID, &sub.TopicID, &sub.ARN, &sub.URL, &sub.Status, &sub.APIKey, &created,
		&confirmed, &deleted, &sub.Paused, &sub.DeliveryPolicy, &sub.TopicARN, &sub.AccountID, &sub.Endpoint,
		&sub.AccountDeliveryPolicy); err != nil {
		return nil, err
	}
	sub.CreatedAt = fromMicros(created)
	sub.ConfirmedAt = timePtr(confirmed)
	sub.DeletedAt = timePtr(deleted)
	return &sub, nil
}

// SubscriptionCreate adds a pending subscription.
func (q queries) SubscriptionCreate(ctx context.Context, p store.SubscriptionCreateParams) (*store.Subscription, error) {
	res, err := q.ex.ExecContext(ctx, `INSERT INTO subscriptions (topic_id, arn, url, status, api_key, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, p.TopicID, p.ARN, p.URL, store.SubscriptionPending, p.APIKey, micros(p.CreatedAt))
	if err != nil {
		return nil, fmt.Errorf("sqlite: create subscription: %w", translate(err))
	}
	id, err := res.LastInsertId()
	if err != nil {
		return nil, err
	}
	return q.SubscriptionGet(ctx, id)
}

// querySubscription runs a one-row subscription query.
func (q queries) querySubscription(ctx context.Context, where string, args ...any) (*store.Subscription, error) {
	sub, err := scanSubscription(q.ex.QueryRowContext(ctx, subscriptionSelect+where, args...))
	if err != nil {
		return nil, fmt.Errorf("sqlite: subscription: %w", translate(err))
	}
	return sub, nil
}

// SubscriptionGet returns a subscription by id.
func (q queries) SubscriptionGet(ctx context.Context, id int64) (*store.Subscription, error) {
	return lookup(q, lookupKey{kind: lookupSubscription, id: id}, func() (*store.Subscription, error) {
		return q.querySubscription(ctx, `WHERE s.id = ?`, id)
	}, copyOf)
}

// SubscriptionGetByARN returns a subscription by ARN.
func (q queries) SubscriptionGetByARN(ctx context.Context, arn string) (*store.Subscription, error) {
	return q.querySubscription(ctx, `WHERE s.arn = ?`, arn)
}

// SubscriptionGetLive returns the topic's live subscription for the URL.
func (q queries) SubscriptionGetLive(ctx context.Context, topicID int64, url string) (*store.Subscription, error) {
	return q.querySubscription(ctx, `WHERE s.topic_id = ? AND s.url = ? AND s.status <> ?`,
		topicID, url, store.SubscriptionDeleted)
}

// SubscriptionListByAccount returns the account's subscriptions.
func (q queries) SubscriptionListByAccount(ctx context.Context, accountID int64) ([]*store.Subscription, error) {
	rows, err := q.ex.QueryContext(ctx, subscriptionSelect+`WHERE t.account_id = ? ORDER BY s.id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list subscriptions: %w", err)
	}
	return collect(rows, scanSubscription)
}

// SubscriptionListConfirmed returns the topic's confirmed subscriptions.
func (q queries) SubscriptionListConfirmed(ctx context.Context, topicID int64) ([]*store.Subscription, error) {
	return lookup(q, lookupKey{kind: lookupConfirmed, id: topicID}, func() ([]*store.Subscription, error) {
		rows, err := q.ex.QueryContext(ctx, subscriptionSelect+`WHERE s.topic_id = ? AND s.status = ? ORDER BY s.id`,
			topicID, store.SubscriptionConfirmed)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list confirmed subscriptions: %w", err)
		}
		return collect(rows, scanSubscription)
	}, copyAll)
}

// SubscriptionSetStatus moves a subscription to a status.
func (q queries) SubscriptionSetStatus(ctx context.Context, id int64, status store.SubscriptionStatus, at time.Time) (*store.Subscription, error) {
	var set string
	switch status {
	case store.SubscriptionConfirmed:
		set = `confirmed_at = ?, deleted_at = NULL`
	case store.SubscriptionDeleted:
		set = `deleted_at = ?`
	default:
		return nil, fmt.Errorf("sqlite: a subscription cannot be moved to %q", status)
	}
	res, err := q.ex.ExecContext(ctx, `UPDATE subscriptions SET status = ?, `+set+` WHERE id = ?`, status, micros(at), id)
	if err != nil {
		return nil, fmt.Errorf("sqlite: set subscription status: %w", translate(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, fmt.Errorf("sqlite: subscription %d: %w", id, store.ErrNotFound)
	}
	return q.SubscriptionGet(ctx, id)
}

// SubscriptionSetPaused pauses or resumes a subscription.
func (q queries) SubscriptionSetPaused(ctx context.Context, id int64, paused bool) (*store.Subscription, error) {
	return q.updateSubscription(ctx, id, `paused = ?`, paused)
}

// SubscriptionSetPolicy sets or clears a subscription's delivery policy.
func (q queries) SubscriptionSetPolicy(ctx context.Context, id int64, policy []byte) (*store.Subscription, error) {
	return q.updateSubscription(ctx, id, `delivery_policy = ?`, nullBytes(policy))
}

// updateSubscription sets one column of a subscription and returns it.
func (q queries) updateSubscription(ctx context.Context, id int64, set string, value any) (*store.Subscription, error) {
	res, err := q.ex.ExecContext(ctx, `UPDATE subscriptions SET `+set+` WHERE id = ?`, value, id)
	if err != nil {
		return nil, fmt.Errorf("sqlite: update subscription: %w", translate(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, fmt.Errorf("sqlite: subscription %d: %w", id, store.ErrNotFound)
	}
	return q.SubscriptionGet(ctx, id)
}

// TokenCreate stores a confirmation token.
func (q queries) TokenCreate(ctx context.Context, t store.ConfirmationToken) error {
	_, err := q.ex.ExecContext(ctx, `INSERT INTO confirmation_tokens (token_hash, subscription_id, expires_at, created_at)
		VALUES (?, ?, ?, ?)`, t.TokenHash, t.SubscriptionID, micros(t.ExpiresAt), micros(t.CreatedAt))
	if err != nil {
		return fmt.Errorf("sqlite: create token: %w", translate(err))
	}
	return nil
}

// TokenGet returns the token with the given hash.
func (q queries) TokenGet(ctx context.Context, hash []byte) (*store.ConfirmationToken, error) {
	var t store.ConfirmationToken
	var expires, created int64
	err := q.ex.QueryRowContext(ctx, `SELECT token_hash, subscription_id, expires_at, created_at
		FROM confirmation_tokens WHERE token_hash = ?`, hash).Scan(&t.TokenHash, &t.SubscriptionID, &expires, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: token: %w", store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: token: %w", err)
	}
	t.ExpiresAt, t.CreatedAt = fromMicros(expires), fromMicros(created)
	return &t, nil
}

// TokenDeleteExpired deletes expired tokens.
func (q queries) TokenDeleteExpired(ctx context.Context, before time.Time) (int, error) {
	res, err := q.ex.ExecContext(ctx, `DELETE FROM confirmation_tokens WHERE expires_at < ?`, micros(before))
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete expired tokens: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}
