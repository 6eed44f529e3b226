package admin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/admin"
	"github.com/ivvy-notify/ivvy-notify/internal/catalog"
	"github.com/ivvy-notify/ivvy-notify/internal/notify"
	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// subscribePending subscribes hookURL to the companies topic and returns
// the pending subscription and its SubscriptionConfirmation delivery.
func (e *publishEnv) subscribePending(t *testing.T, hookURL string) (*store.Subscription, *store.Delivery) {
	t.Helper()
	ctx := context.Background()
	u, err := url.Parse(hookURL)
	require.NoError(t, err)
	caller := notify.Caller{AccountID: e.d.AccountID, Key: "k", MayManage: true}
	_, err = e.d.Notify.Subscribe(ctx, caller, notify.Request{catalog.Companies: u})
	require.NoError(t, err)
	subs, err := e.d.Store.SubscriptionListByAccount(ctx, e.d.AccountID)
	require.NoError(t, err)
	sub := subs[len(subs)-1]
	ds, err := e.d.Store.DeliveryList(ctx, store.DeliveryListParams{SubscriptionID: sub.ID, Limit: 1})
	require.NoError(t, err)
	require.Len(t, ds, 1)
	return sub, ds[0]
}

// token is the confirmation token a delivery carries.
func (e *publishEnv) token(t *testing.T, d *store.Delivery) string {
	t.Helper()
	full, err := e.d.Store.DeliveryGet(context.Background(), d.ID)
	require.NoError(t, err)
	var m struct{ Token string }
	require.NoError(t, json.Unmarshal(full.Body, &m))
	require.NotEmpty(t, m.Token)
	return m.Token
}

func (e *publishEnv) delivery(t *testing.T, id int64) *store.Delivery {
	t.Helper()
	d, err := e.d.Store.DeliveryGet(context.Background(), id)
	require.NoError(t, err)
	return d
}

func TestDeleteSubscription(t *testing.T) {
	e := newPublishEnv(t)
	ctx := context.Background()
	sub, conf := e.subscribePending(t, "http://127.0.0.1:1/hook")
	tok := e.token(t, conf)

	code, body := call(t, e.h, "DELETE", "/v1/subscriptions/"+sub.ARN, "")
	require.Equal(t, 200, code, body)
	var out admin.DeletedSubscriptionOut
	require.NoError(t, json.Unmarshal([]byte(body), &out))
	require.Equal(t, sub.ARN, out.ARN)
	require.Equal(t, "Deleted", out.Status)
	require.NotNil(t, out.DeletedAt)
	require.Equal(t, "PendingConfirmation", out.PreviousStatus)
	require.Equal(t, 1, out.CancelledDeliveries)
	require.Equal(t, sub.TopicARN, out.TopicARN, "the subscription's view, as GET shows it")
	require.NotNil(t, out.EffectivePolicy)

	d := e.delivery(t, conf.ID)
	require.Equal(t, store.DeliveryCancelled, d.Status)
	require.Equal(t, "subscription deleted by the operator", d.LastError)
	_, err := e.d.Notify.Confirm(ctx, sub.TopicARN, tok)
	require.ErrorIs(t, err, notify.ErrInvalidToken, "a later visit to its SubscribeURL does not revive it")
	got, err := e.d.Store.SubscriptionGet(ctx, sub.ID)
	require.NoError(t, err)
	require.Equal(t, store.SubscriptionDeleted, got.Status)

	code, body = call(t, e.h, "GET", "/v1/subscriptions/"+sub.ARN, "")
	require.Equal(t, 200, code)
	require.Contains(t, body, `"status":"Deleted"`)

	code, body = call(t, e.h, "DELETE", "/v1/subscriptions/"+sub.ARN, "")
	require.Equal(t, 200, code, "deleting again is no error")
	require.NoError(t, json.Unmarshal([]byte(body), &out))
	require.Equal(t, "Deleted", out.PreviousStatus)
	require.Zero(t, out.CancelledDeliveries)

	code, body = call(t, e.h, "DELETE", "/v1/subscriptions/arn:aws:sns:local:0:nope:x", "")
	require.Equal(t, 404, code)
	require.JSONEq(t, `{"code":"not_found","message":"no subscription arn:aws:sns:local:0:nope:x"}`, body)
}

func TestDeleteUnsubscribedSubscriptionCancelsItsUnsubscribeConfirmation(t *testing.T) {
	e := newPublishEnv(t)
	ctx := context.Background()
	sub, conf := e.subscribePending(t, "http://127.0.0.1:1/hook")
	_, err := e.d.Notify.Confirm(ctx, sub.TopicARN, e.token(t, conf))
	require.NoError(t, err)
	require.NoError(t, e.d.Notify.UnsubscribeByURL(ctx, sub.ARN))
	ds, err := e.d.Store.DeliveryList(ctx, store.DeliveryListParams{SubscriptionID: sub.ID, Status: store.DeliveryPending, Limit: 10})
	require.NoError(t, err)
	require.Len(t, ds, 2, "the SubscriptionConfirmation and the UnsubscribeConfirmation")
	restore := e.token(t, ds[0])

	code, body := call(t, e.h, "DELETE", "/v1/subscriptions/"+sub.ARN, "")
	require.Equal(t, 200, code, body)
	var out admin.DeletedSubscriptionOut
	require.NoError(t, json.Unmarshal([]byte(body), &out))
	require.Equal(t, "Deleted", out.PreviousStatus)
	require.Equal(t, 2, out.CancelledDeliveries)
	_, err = e.d.Notify.Confirm(ctx, sub.TopicARN, restore)
	require.ErrorIs(t, err, notify.ErrInvalidToken, "the UnsubscribeConfirmation's SubscribeURL no longer restores it")
}

func TestCancelDelivery(t *testing.T) {
	e := newPublishEnv(t)
	ctx := context.Background()
	sub, d := e.subscribePending(t, "http://127.0.0.1:1/hook")
	path := fmt.Sprintf("/v1/deliveries/%d/cancel", d.ID)

	code, body := call(t, e.h, "POST", path, "")
	require.Equal(t, 200, code, body)
	var out admin.DeliveryOut
	require.NoError(t, json.Unmarshal([]byte(body), &out))
	require.Equal(t, d.ID, out.ID)
	require.Equal(t, "cancelled", out.Status)
	require.Equal(t, "cancelled by the operator", out.LastError)
	require.Equal(t, sub.ARN, out.SubscriptionARN)
	require.NotNil(t, out.CompletedAt)
	require.Nil(t, out.DeadAt)
	got, err := e.d.Store.SubscriptionGet(ctx, sub.ID)
	require.NoError(t, err)
	require.Equal(t, store.SubscriptionPending, got.Status, "the subscription is left alone")

	code, body = call(t, e.h, "POST", path, "")
	require.Equal(t, 409, code)
	require.JSONEq(t, fmt.Sprintf(`{"code":"conflict","message":"delivery %d is cancelled, not pending: it is already cancelled"}`, d.ID), body)

	for i, tc := range []struct {
		status store.DeliveryStatus
		want   string
	}{
		{store.DeliveryDelivered, "is delivered, not pending: it was delivered"},
		{store.DeliveryDead, "is dead, not pending: it is a dead letter"},
	} {
		_, d := e.subscribePending(t, fmt.Sprintf("http://127.0.0.1:%d/hook", i+2))
		require.NoError(t, e.d.Store.DeliveryRecordAttempt(ctx, store.DeliveryAttemptParams{ID: d.ID, Status: tc.status, At: fixedNow}))
		code, body = call(t, e.h, "POST", fmt.Sprintf("/v1/deliveries/%d/cancel", d.ID), "")
		require.Equal(t, 409, code, tc.status)
		require.Contains(t, body, tc.want)
		require.Equal(t, tc.status, e.delivery(t, d.ID).Status, "a refused cancel changes nothing")
	}

	for name, tc := range map[string]struct {
		path   string
		status int
		want   string
	}{
		"missing": {"/v1/deliveries/999/cancel", 404, `{"code":"not_found","message":"no delivery 999"}`},
		"bad id":  {"/v1/deliveries/abc/cancel", 400, `{"code":"invalid","message":"delivery id \"abc\": want a positive integer"}`},
	} {
		t.Run(name, func(t *testing.T) {
			code, body := call(t, e.h, "POST", tc.path, "")
			require.Equal(t, tc.status, code, body)
			require.JSONEq(t, tc.want, body)
		})
	}
}
