package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// testViews checks what the admin views join in: a delivery's
// subscription, account, subject and next attempt (DeliveryRef), and the
// all-accounts subscription list.
func testViews(t *testing.T, newStore NewStore) {
	t.Run("DeliveryRefs", func(t *testing.T) { testDeliveryRefs(t, newStore) })
	t.Run("NextAttempt", func(t *testing.T) { testNextAttempt(t, newStore) })
	t.Run("NextAttemptOfHeld", func(t *testing.T) { testNextAttemptOfHeld(t, newStore) })
	t.Run("SubscriptionListAll", func(t *testing.T) { testSubscriptionListAll(t, newStore) })
}

// us is t as backends return it: UTC, to the microsecond.
func us(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func testDeliveryRefs(t *testing.T, newStore NewStore) {
	f := newNotifyFixture(t, newStore)
	sub := f.subscribe(t, "arn:s1", "https://a.example/hook")
	e, err := f.s.EventCreate(f.ctx, store.EventCreateParams{AccountID: f.acct.ID, TxnID: "t1", Subject: "CompanyAdded",
		Body: []byte(`{}`), Messages: 1, Deliveries: 1, CreatedAt: baseTime})
	require.NoError(t, err)
	confirm, err := f.s.DeliveryCreate(f.ctx, store.DeliveryCreateParams{SubscriptionID: sub.ID, MessageID: "m0",
		MessageType: "SubscriptionConfirmation", Body: []byte(`{"Type":"SubscriptionConfirmation"}`), CreatedAt: baseTime})
	require.NoError(t, err)
	note, err := f.s.DeliveryCreate(f.ctx, store.DeliveryCreateParams{SubscriptionID: sub.ID, EventID: &e.ID, MessageID: "m1",
		MessageType: "Notification", Body: []byte(`{"Type":"Notification"}`), CreatedAt: baseTime})
	require.NoError(t, err)
	_, err = f.s.SubscriptionSetPaused(f.ctx, sub.ID, true)
	require.NoError(t, err)

	list, err := f.s.DeliveryList(f.ctx, store.DeliveryListParams{AccountID: f.acct.ID, Limit: 10})
	require.NoError(t, err)
	require.Len(t, list, 2)
	subject := "CompanyAdded"
	created := us(baseTime)
	want := store.DeliveryRef{SubscriptionARN: "arn:s1", URL: "https://a.example/hook", SubscriptionPaused: true,
		AccountID: f.acct.ID, Endpoint: "companies", Subject: &subject, NextAttemptAt: &created}
	require.Equal(t, note.ID, list[0].ID)
	require.Equal(t, want, list[0].DeliveryRef)
	want.Subject = nil
	require.Equal(t, confirm.ID, list[1].ID)
	require.Equal(t, want, list[1].DeliveryRef, "a confirmation has no subject")
	require.Nil(t, list[1].Body)

	got, err := f.s.DeliveryDetail(f.ctx, confirm.ID)
	require.NoError(t, err)
	require.Equal(t, want, got.DeliveryRef)
	require.Equal(t, `{"Type":"SubscriptionConfirmation"}`, string(got.Body))
	plain, err := f.s.DeliveryGet(f.ctx, confirm.ID)
	require.NoError(t, err)
	got.DeliveryRef = store.DeliveryRef{}
	require.Equal(t, plain, got, "the detail is the delivery, with its refs")
	_, err = f.s.DeliveryDetail(f.ctx, 9999)
	require.ErrorIs(t, err, store.ErrNotFound)
}

func testNextAttempt(t *testing.T, newStore NewStore) {
	f := newNotifyFixture(t, newStore)
	d := f.deliver(t, f.subscribe(t, "arn:s1", "https://a.example/hook"))
	next := func() *time.Time {
		t.Helper()
		got, err := f.s.DeliveryDetail(f.ctx, d.ID)
		require.NoError(t, err)
		return got.NextAttemptAt
	}
	require.Equal(t, us(baseTime), *next(), "a new delivery is due at once")
	retryAt := baseTime.Add(90 * time.Second)
	err := f.s.DeliveryRecordAttempt(f.ctx, store.DeliveryAttemptParams{ID: d.ID, Status: store.DeliveryPending, At: baseTime,
		Attempt: &store.Attempt{StartedAt: baseTime, Outcome: "retry"}, RetryAt: retryAt})
	require.NoError(t, err)
	require.Equal(t, us(retryAt), *next(), "a retry is due at its RetryAt")
	err = f.s.DeliveryRecordAttempt(f.ctx, store.DeliveryAttemptParams{ID: d.ID, Status: store.DeliveryDead, At: retryAt,
		Attempt: &store.Attempt{StartedAt: retryAt, Outcome: "fail"}})
	require.NoError(t, err)
	require.Nil(t, next(), "nothing is due once the delivery is not pending")
	redriven, err := f.s.DeliveryRedrive(f.ctx, d.ID, baseTime.Add(time.Hour))
	require.NoError(t, err)
	got, err := f.s.DeliveryDetail(f.ctx, redriven.ID)
	require.NoError(t, err)
	require.Equal(t, us(baseTime.Add(time.Hour)), *got.NextAttemptAt, "a redrive is due at once")
	require.Equal(t, 0, got.Attempts)
	byOrigin, err := f.s.DeliveryList(f.ctx, store.DeliveryListParams{RedrivenFrom: d.ID, Limit: 10})
	require.NoError(t, err)
	require.Len(t, byOrigin, 1)
	require.Equal(t, redriven.ID, byOrigin[0].ID, "a dead letter's redrive is found by its origin")
}

func testNextAttemptOfHeld(t *testing.T, newStore NewStore) {
	f := newNotifyFixture(t, newStore)
	sub := f.subscribe(t, "arn:s1", "https://a.example/hook")
	ds, until := f.createHeld(t, sub, true, true, true)
	list, err := f.s.DeliveryList(f.ctx, store.DeliveryListParams{Limit: 10})
	require.NoError(t, err)
	for _, d := range list {
		require.Equal(t, us(until), *d.NextAttemptAt, "a held delivery goes to the queue when its hold ends")
	}
	releaseAt := time.Now().Add(3 * time.Second)
	require.NoError(t, f.s.DeliveryReleaseHeld(f.ctx, ds[0].ID, releaseAt))
	retryAt := time.Now().Add(time.Minute)
	f.record(t, ds[1], store.DeliveryPending, retryAt)
	ended := time.Now().Add(2 * holdFor)
	require.Equal(t, 1, f.releaseEnded(t, ended, 10))
	for d, want := range map[int64]time.Time{ds[0].ID: releaseAt, ds[1].ID: retryAt, ds[2].ID: ended} {
		got, err := f.s.DeliveryDetail(f.ctx, d)
		require.NoError(t, err)
		require.Equal(t, us(want), *got.NextAttemptAt, "delivery %d", d)
	}
}

func testSubscriptionListAll(t *testing.T, newStore NewStore) {
	f := newNotifyFixture(t, newStore)
	s1 := f.subscribe(t, "arn:s1", "https://a.example/1")
	other, err := f.s.AccountCreate(f.ctx, store.AccountCreateParams{Name: "Other", CreatedAt: baseTime})
	require.NoError(t, err)
	topic, err := f.s.TopicGetOrCreate(f.ctx, store.TopicCreateParams{AccountID: other.ID, Endpoint: "contacts",
		ARN: "arn:aws:sns:local:0:t2", CreatedAt: baseTime})
	require.NoError(t, err)
	s2, err := f.s.SubscriptionCreate(f.ctx, store.SubscriptionCreateParams{TopicID: topic.ID, ARN: "arn:s2",
		URL: "https://b.example/2", APIKey: "k2", CreatedAt: baseTime})
	require.NoError(t, err)
	s3 := f.subscribe(t, "arn:s3", "https://a.example/3")
	_, err = f.s.SubscriptionSetStatus(f.ctx, s3.ID, store.SubscriptionDeleted, baseTime)
	require.NoError(t, err)
	s3, err = f.s.SubscriptionGet(f.ctx, s3.ID)
	require.NoError(t, err)

	all, err := f.s.SubscriptionListAll(f.ctx)
	require.NoError(t, err)
	require.Equal(t, []*store.Subscription{s1, s2, s3}, all)
	require.Equal(t, other.ID, all[1].AccountID)
	require.Equal(t, "contacts", all[1].Endpoint)
}
