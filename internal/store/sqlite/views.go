package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// deliveryViewFields are deliveryFields qualified for the views' join,
// then the DeliveryRef columns. A pending delivery's next attempt is its
// recorded retry's time, else its hold's end, else its creation (the
// first attempt, due at once). Every join is on a primary key; the
// joins are LEFT so that a delivery whose rows went away still lists.
const deliveryViewFields = `d.id, d.subscription_id, d.event_id, d.message_id, d.message_type, d.status, d.attempts,
	COALESCE(d.last_error, ''), d.created_at, d.completed_at, d.dead_at, d.redriven_from, length(d.body), %s,
	COALESCE(s.arn, ''), COALESCE(s.url, ''), COALESCE(s.paused, 0), COALESCE(t.account_id, 0), COALESCE(t.endpoint, ''), e.subject,
	CASE WHEN d.status = 'pending' THEN COALESCE(d.next_attempt_at, d.held_until, d.created_at) END
	FROM deliveries d LEFT JOIN subscriptions s ON s.id = d.subscription_id LEFT JOIN topics t ON t.id = s.topic_id
	LEFT JOIN events e ON e.id = d.event_id `

var (
	deliveryViewSelect = `SELECT ` + fmt.Sprintf(deliveryViewFields, `d.body`)
	deliveryListSelect = `SELECT ` + fmt.Sprintf(deliveryViewFields, `NULL`)
)

// scanFunc adapts a function to scanner.
type scanFunc func(dest ...any) error

func (f scanFunc) Scan(dest ...any) error { return f(dest...) }

// scanDeliveryView scans a deliveryViewFields row.
func scanDeliveryView(s scanner) (*store.Delivery, error) {
	var ref store.DeliveryRef
	var subject sql.NullString
	var next sql.NullInt64
	d, err := scanDelivery(scanFunc(func(dest ...any) error {
		return s.Scan(append(dest, &ref.SubscriptionARN, &ref.URL, &ref.SubscriptionPaused, &ref.AccountID,
			&ref.Endpoint, &subject, &next)...)
	}))
	if err != nil {
		return nil, err
	}
	if subject.Valid {
		ref.Subject = &subject.String
	}
	ref.NextAttemptAt = timePtr(next)
	d.DeliveryRef = ref
	return d, nil
}

// DeliveryDetail returns a delivery with its body and DeliveryRef.
func (q queries) DeliveryDetail(ctx context.Context, id int64) (*store.Delivery, error) {
	d, err := scanDeliveryView(q.ex.QueryRowContext(ctx, deliveryViewSelect+`WHERE d.id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("sqlite: delivery %d: %w", id, translate(err))
	}
	return d, nil
}

// DeliveryList returns deliveries matching the filter, newest first, with
// their DeliveryRef, in one query.
func (q queries) DeliveryList(ctx context.Context, p store.DeliveryListParams) ([]*store.Delivery, error) {
	query, args := deliveryListQuery(p)
	rows, err := q.ex.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list deliveries: %w", err)
	}
	return collect(rows, scanDeliveryView)
}

// deliveryListQuery is DeliveryList's statement and arguments.
func deliveryListQuery(p store.DeliveryListParams) (string, []any) {
	var where []string
	var args []any
	add := func(cond string, arg any) { where = append(where, cond); args = append(args, arg) }
	if p.AccountID != 0 {
		add(`d.subscription_id IN (SELECT s.id FROM subscriptions s JOIN topics t ON t.id = s.topic_id WHERE t.account_id = ?)`, p.AccountID)
	}
	if p.SubscriptionID != 0 {
		add(`d.subscription_id = ?`, p.SubscriptionID)
	}
	if p.Status != "" {
		add(`d.status = ?`, p.Status)
	}
	if p.CreatedAfter != nil {
		add(`d.created_at >= ?`, micros(*p.CreatedAfter))
	}
	if p.CreatedBefore != nil {
		add(`d.created_at < ?`, micros(*p.CreatedBefore))
	}
	if p.BeforeID != 0 {
		add(`d.id < ?`, p.BeforeID)
	}
	if p.RedrivenFrom != 0 {
		add(`d.redriven_from = ?`, p.RedrivenFrom)
	}
	query := deliveryListSelect
	if len(where) > 0 {
		query += `WHERE ` + strings.Join(where, ` AND `)
	}
	return query + ` ORDER BY d.id DESC LIMIT ?`, append(args, p.Limit)
}

// SubscriptionListAll returns every account's subscriptions.
func (q queries) SubscriptionListAll(ctx context.Context) ([]*store.Subscription, error) {
	rows, err := q.ex.QueryContext(ctx, subscriptionSelect+`ORDER BY s.id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list subscriptions: %w", err)
	}
	return collect(rows, scanSubscription)
}
