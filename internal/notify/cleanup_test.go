package notify_test

import (
	"context"
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/catalog"
	"github.com/ivvy-notify/ivvy-notify/internal/notify"
	"github.com/ivvy-notify/ivvy-notify/internal/store"
	"github.com/ivvy-notify/ivvy-notify/internal/testutil/testdomain"
)

// deleteBeforeConfirm deletes the subscription, as an operator's delete
// committing between the confirm's read of its token and its write would,
// just before a confirm moves it.
type deleteBeforeConfirm struct{ store.Store }

func (d deleteBeforeConfirm) InTx(ctx context.Context, fn func(store.Queries) error) error {
	return d.Store.InTx(ctx, func(q store.Queries) error { return fn(deletingQueries{q}) })
}

type deletingQueries struct{ store.Queries }

func (q deletingQueries) SubscriptionSetStatus(ctx context.Context, id int64, status store.SubscriptionStatus, at time.Time) (*store.Subscription, error) {
	if status == store.SubscriptionConfirmed {
		if _, _, err := q.SubscriptionDelete(ctx, id, "subscription deleted by the operator", at); err != nil {
			return nil, err
		}
	}
	return q.Queries.SubscriptionSetStatus(ctx, id, status, at)
}

func TestConfirmRacingAnOperatorsDeleteDoesNotRevive(t *testing.T) {
	ctx := context.Background()
	d := testdomain.New(t, func(s store.Store) store.Store { return deleteBeforeConfirm{s} })
	u, err := url.Parse("http://127.0.0.1:1/hook")
	require.NoError(t, err)
	_, err = d.Notify.Subscribe(ctx, notify.Caller{AccountID: d.AccountID, Key: "k", MayManage: true}, notify.Request{catalog.Companies: u})
	require.NoError(t, err)
	subs, err := d.Store.SubscriptionListByAccount(ctx, d.AccountID)
	require.NoError(t, err)
	ds, err := d.Store.DeliveryList(ctx, store.DeliveryListParams{SubscriptionID: subs[0].ID, Limit: 1})
	require.NoError(t, err)
	full, err := d.Store.DeliveryGet(ctx, ds[0].ID)
	require.NoError(t, err)
	var m struct{ Token string }
	require.NoError(t, json.Unmarshal(full.Body, &m))

	_, err = d.Notify.Confirm(ctx, subs[0].TopicARN, m.Token)
	require.ErrorIs(t, err, notify.ErrInvalidToken, "the delete's dropped token is read again after the write")
	got, err := d.Store.SubscriptionGet(ctx, subs[0].ID)
	require.NoError(t, err)
	require.NotEqual(t, store.SubscriptionConfirmed, got.Status)
}
