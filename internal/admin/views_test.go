package admin_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/admin"
	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// viewsEnv is the admin API on real SQLite with one confirmed subscription
// (its URL carries a password), a notification and a confirmation to it.
type viewsEnv struct {
	*publishEnv
	sub           *store.Subscription
	note, confirm int64
	retryAt       time.Time
}

func newViewsEnv(t *testing.T) *viewsEnv {
	e := &viewsEnv{publishEnv: newPublishEnv(t)}
	ctx, st := context.Background(), e.d.Store
	topic, err := st.TopicGetOrCreate(ctx, store.TopicCreateParams{AccountID: e.d.AccountID, Endpoint: "companies",
		ARN: "arn:aws:sns:local:0:companies", CreatedAt: fixedNow})
	require.NoError(t, err)
	e.sub, err = st.SubscriptionCreate(ctx, store.SubscriptionCreateParams{TopicID: topic.ID, ARN: "arn:aws:sns:local:0:companies:s1",
		URL: "https://user:secret@hooks.example/in", APIKey: "k", CreatedAt: fixedNow})
	require.NoError(t, err)
	_, err = st.SubscriptionSetStatus(ctx, e.sub.ID, store.SubscriptionConfirmed, fixedNow)
	require.NoError(t, err)
	ev, err := st.EventCreate(ctx, store.EventCreateParams{AccountID: e.d.AccountID, TxnID: "t1", Subject: "CompanyAdded",
		Body: []byte(`{}`), CreatedAt: fixedNow})
	require.NoError(t, err)
	c, err := st.DeliveryCreate(ctx, store.DeliveryCreateParams{SubscriptionID: e.sub.ID, MessageID: "m0",
		MessageType: "SubscriptionConfirmation", Body: []byte(`{"Type":"SubscriptionConfirmation"}`), CreatedAt: fixedNow})
	require.NoError(t, err)
	n, err := st.DeliveryCreate(ctx, store.DeliveryCreateParams{SubscriptionID: e.sub.ID, EventID: &ev.ID, MessageID: "m1",
		MessageType: "Notification", Body: []byte(`{"Type":"Notification"}`), CreatedAt: fixedNow})
	require.NoError(t, err)
	e.note, e.confirm, e.retryAt = n.ID, c.ID, fixedNow.Add(90*time.Second)
	require.NoError(t, st.DeliveryRecordAttempt(ctx, store.DeliveryAttemptParams{ID: n.ID, Status: store.DeliveryPending,
		At: fixedNow, RetryAt: e.retryAt, Error: "HTTP 503",
		Attempt: &store.Attempt{StartedAt: fixedNow, StatusCode: 503, Outcome: "retry"}}))
	require.NoError(t, st.DeliveryRecordAttempt(ctx, store.DeliveryAttemptParams{ID: c.ID, Status: store.DeliveryDead,
		At: fixedNow, Error: "connection refused", Attempt: &store.Attempt{StartedAt: fixedNow, Outcome: "fail"}}))
	return e
}

func (e *viewsEnv) get(t *testing.T, path string, out any) int {
	t.Helper()
	r := httptest.NewRequest("GET", path, nil)
	r.Header.Set("Authorization", "Bearer "+token)
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	if out != nil && w.Code == 200 {
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), out), w.Body.String())
	}
	return w.Code
}

func TestDeliveryViewsCarryRefs(t *testing.T) {
	e := newViewsEnv(t)
	acct := strconv.FormatInt(e.d.AccountID, 10)
	var list admin.DeliveryList
	require.Equal(t, 200, e.get(t, "/v1/deliveries?account="+acct, &list))
	require.Len(t, list.Deliveries, 2)
	note, confirm := list.Deliveries[0], list.Deliveries[1]
	for _, d := range []admin.DeliveryOut{note, confirm} {
		require.Equal(t, e.sub.ARN, d.SubscriptionARN)
		require.Equal(t, e.sub.ID, d.SubscriptionID)
		require.Equal(t, acct, d.AccountID)
		require.Equal(t, "companies", d.Endpoint)
		require.Equal(t, "https://user:xxxxx@hooks.example/in", d.URL, "the password is masked")
		require.Equal(t, 1, d.Attempts)
	}
	require.Equal(t, e.note, note.ID)
	require.Equal(t, "CompanyAdded", *note.Subject)
	require.Equal(t, "pending", note.Status)
	require.Equal(t, "2026-11-23T10:17:00.123Z", *note.NextAttemptAt, "the retry's time")
	require.Nil(t, confirm.Subject, "a confirmation has no subject")
	require.Equal(t, "SubscriptionConfirmation", confirm.MessageType)
	require.Nil(t, confirm.NextAttemptAt, "a dead letter has no next attempt")

	var one admin.DeliveryOut
	require.Equal(t, 200, e.get(t, "/v1/deliveries/"+strconv.FormatInt(e.note, 10), &one))
	require.Equal(t, note.NextAttemptAt, one.NextAttemptAt)
	require.Equal(t, note.Subject, one.Subject)
	require.Equal(t, note.URL, one.URL)
	require.Equal(t, `{"Type":"Notification"}`, *one.Body)
	require.Len(t, one.AttemptLog, 1)

	var dead admin.DeliveryList
	require.Equal(t, 200, e.get(t, "/v1/deadletters", &dead))
	require.Len(t, dead.Deliveries, 1)
	require.Equal(t, confirm, dead.Deliveries[0])
	require.Equal(t, 200, e.get(t, "/v1/deadletters/"+strconv.FormatInt(e.confirm, 10), &one))
	require.Equal(t, acct, one.AccountID)
	require.Equal(t, e.sub.ARN, one.SubscriptionARN)
}

func TestRedriveConflictSaysWhat(t *testing.T) {
	e := newViewsEnv(t)
	dead := strconv.FormatInt(e.confirm, 10)
	w := e.post("/v1/deadletters/"+dead+"/redrive", "")
	require.Equal(t, 202, w.Code, w.Body.String())
	var out admin.RedriveOut
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &out))
	again := strconv.FormatInt(out.Redriven[0].Delivery, 10)

	w = e.post("/v1/deadletters/"+dead+"/redrive", "")
	require.Equal(t, 409, w.Code)
	require.JSONEq(t, `{"code":"conflict","message":"dead letter `+dead+` was already redriven as delivery `+again+`"}`, w.Body.String())
	w = e.post("/v1/deadletters/"+strconv.FormatInt(e.note, 10)+"/redrive", "")
	require.Equal(t, 409, w.Code)
	require.JSONEq(t, `{"code":"conflict","message":"delivery `+strconv.FormatInt(e.note, 10)+` is pending, not a dead letter"}`, w.Body.String())
	w = e.post("/v1/deadletters/9999/redrive", "")
	require.Equal(t, 404, w.Code)
}

func TestSubscriptionViewsCarryIDs(t *testing.T) {
	e := newViewsEnv(t)
	acct := strconv.FormatInt(e.d.AccountID, 10)
	var all, mine admin.SubscriptionViewList
	require.Equal(t, 200, e.get(t, "/v1/subscriptions", &all))
	require.Equal(t, 200, e.get(t, "/v1/subscriptions?account="+acct, &mine))
	require.Equal(t, all, mine)
	require.Len(t, all.Subscriptions, 1)
	s := all.Subscriptions[0]
	require.Equal(t, e.sub.ID, s.ID)
	require.Equal(t, e.sub.ARN, s.ARN)
	require.Equal(t, acct, s.AccountID)
	require.Equal(t, "companies", s.Endpoint)
	require.Equal(t, "Confirmed", s.Status)
	require.False(t, s.Paused)

	var one admin.SubscriptionView
	require.Equal(t, 200, e.get(t, "/v1/subscriptions/"+e.sub.ARN, &one))
	require.Equal(t, s, one)
	var byAccount admin.SubscriptionsOut
	require.Equal(t, 200, e.get(t, "/v1/accounts/"+acct+"/subscriptions", &byAccount))
	require.Equal(t, e.sub.ID, byAccount.Topics[0].Subscriptions[0].ID)

	require.Equal(t, 404, e.get(t, "/v1/subscriptions?account=999", nil))
	require.Equal(t, 400, e.get(t, "/v1/subscriptions?account=x", nil))
}
