package storetest

import (
	"context"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// notifyFixture is an account with a companies topic.
type notifyFixture struct {
	ctx   context.Context
	s     store.Store
	acct  *store.Account
	topic *store.Topic
}

func newNotifyFixture(t *testing.T, newStore NewStore) *notifyFixture {
	ctx, s := open(t, newStore)
	a, err := s.AccountCreate(ctx, store.AccountCreateParams{Name: "Acme", CreatedAt: baseTime})
	require.NoError(t, err)
	topic, err := s.TopicGetOrCreate(ctx, store.TopicCreateParams{
		AccountID: a.ID, Endpoint: "companies", ARN: "arn:aws:sns:local:0:t1", CreatedAt: baseTime,
	})
	require.NoError(t, err)
	return &notifyFixture{ctx: ctx, s: s, acct: a, topic: topic}
}

func (f *notifyFixture) subscribe(t *testing.T, arn, url string) *store.Subscription {
	t.Helper()
	sub, err := f.s.SubscriptionCreate(f.ctx, store.SubscriptionCreateParams{
		TopicID: f.topic.ID, ARN: arn, URL: url, APIKey: "k1", CreatedAt: baseTime,
	})
	require.NoError(t, err)
	return sub
}

func testSigningKeys(t *testing.T, newStore NewStore) {
	f := newNotifyFixture(t, newStore)
	_, err := f.s.SigningKeyCurrent(f.ctx, f.acct.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	for _, v := range []int64{100, 300, 200} {
		require.NoError(t, f.s.SigningKeyCreate(f.ctx, store.SigningKey{
			AccountID: f.acct.ID, Version: v, PrivateKeySealed: []byte{byte(v)}, PublicKeyPEM: []byte("pem"), CreatedAt: baseTime,
		}))
	}
	cur, err := f.s.SigningKeyCurrent(f.ctx, f.acct.ID)
	require.NoError(t, err)
	require.Equal(t, int64(300), cur.Version)
	k, err := f.s.SigningKeyGet(f.ctx, f.acct.ID, 100)
	require.NoError(t, err)
	require.Equal(t, []byte{100}, k.PrivateKeySealed)
	_, err = f.s.SigningKeyGet(f.ctx, f.acct.ID, 999)
	require.ErrorIs(t, err, store.ErrNotFound)
	list, err := f.s.SigningKeyList(f.ctx, f.acct.ID)
	require.NoError(t, err)
	require.Len(t, list, 3)
	require.Equal(t, int64(100), list[0].Version)
	err = f.s.SigningKeyCreate(f.ctx, store.SigningKey{AccountID: f.acct.ID, Version: 100, PrivateKeySealed: []byte{1}, PublicKeyPEM: []byte("p"), CreatedAt: baseTime})
	require.ErrorIs(t, err, store.ErrConflict)
}

func testTopics(t *testing.T, newStore NewStore) {
	f := newNotifyFixture(t, newStore)
	again, err := f.s.TopicGetOrCreate(f.ctx, store.TopicCreateParams{
		AccountID: f.acct.ID, Endpoint: "companies", ARN: "arn:other", CreatedAt: baseTime,
	})
	require.NoError(t, err)
	require.Equal(t, f.topic, again, "the existing topic wins")
	_, err = f.s.TopicGetOrCreate(f.ctx, store.TopicCreateParams{
		AccountID: f.acct.ID, Endpoint: "venues", ARN: "arn:aws:sns:local:0:t2", CreatedAt: baseTime,
	})
	require.NoError(t, err)
	list, err := f.s.TopicListByAccount(f.ctx, f.acct.ID)
	require.NoError(t, err)
	require.Len(t, list, 2)
	_, err = f.s.TopicGet(f.ctx, f.acct.ID, "crm")
	require.ErrorIs(t, err, store.ErrNotFound)
}

func testSubscriptions(t *testing.T, newStore NewStore) {
	t.Run("Lifecycle", func(t *testing.T) {
		f := newNotifyFixture(t, newStore)
		sub := f.subscribe(t, "arn:s1", "https://a.example/hook")
		require.Equal(t, store.SubscriptionPending, sub.Status)
		require.Equal(t, f.topic.ARN, sub.TopicARN)
		require.Equal(t, f.acct.ID, sub.AccountID)
		require.Equal(t, "companies", sub.Endpoint)
		require.Equal(t, "k1", sub.APIKey)

		live, err := f.s.SubscriptionGetLive(f.ctx, f.topic.ID, "https://a.example/hook")
		require.NoError(t, err)
		require.Equal(t, sub.ID, live.ID)
		byARN, err := f.s.SubscriptionGetByARN(f.ctx, "arn:s1")
		require.NoError(t, err)
		require.Equal(t, sub.ID, byARN.ID)

		confirmed, err := f.s.SubscriptionListConfirmed(f.ctx, f.topic.ID)
		require.NoError(t, err)
		require.Empty(t, confirmed, "pending subscriptions get nothing")

		at := baseTime.Add(time.Minute)
		sub, err = f.s.SubscriptionSetStatus(f.ctx, sub.ID, store.SubscriptionConfirmed, at)
		require.NoError(t, err)
		require.Equal(t, store.SubscriptionConfirmed, sub.Status)
		require.Equal(t, at.Truncate(time.Microsecond), *sub.ConfirmedAt)
		confirmed, err = f.s.SubscriptionListConfirmed(f.ctx, f.topic.ID)
		require.NoError(t, err)
		require.Len(t, confirmed, 1)

		sub, err = f.s.SubscriptionSetStatus(f.ctx, sub.ID, store.SubscriptionDeleted, at)
		require.NoError(t, err)
		require.Equal(t, store.SubscriptionDeleted, sub.Status)
		require.NotNil(t, sub.DeletedAt)
		_, err = f.s.SubscriptionGetLive(f.ctx, f.topic.ID, "https://a.example/hook")
		require.ErrorIs(t, err, store.ErrNotFound)

		again := f.subscribe(t, "arn:s2", "https://a.example/hook")
		require.NotEqual(t, sub.ID, again.ID, "a deleted subscription frees its URL")
		all, err := f.s.SubscriptionListByAccount(f.ctx, f.acct.ID)
		require.NoError(t, err)
		require.Len(t, all, 2)
	})
	t.Run("OneLivePerURL", func(t *testing.T) {
		f := newNotifyFixture(t, newStore)
		f.subscribe(t, "arn:s1", "https://a.example/hook")
		_, err := f.s.SubscriptionCreate(f.ctx, store.SubscriptionCreateParams{
			TopicID: f.topic.ID, ARN: "arn:s2", URL: "https://a.example/hook", APIKey: "k1", CreatedAt: baseTime,
		})
		require.ErrorIs(t, err, store.ErrConflict)
	})
	t.Run("Missing", func(t *testing.T) {
		f := newNotifyFixture(t, newStore)
		_, err := f.s.SubscriptionGet(f.ctx, 99)
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = f.s.SubscriptionSetStatus(f.ctx, 99, store.SubscriptionConfirmed, baseTime)
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = f.s.SubscriptionSetStatus(f.ctx, 99, store.SubscriptionPending, baseTime)
		require.Error(t, err)
	})
}

func testTokens(t *testing.T, newStore NewStore) {
	f := newNotifyFixture(t, newStore)
	sub := f.subscribe(t, "arn:s1", "https://a.example/hook")
	h1, h2 := sha256.Sum256([]byte("t1")), sha256.Sum256([]byte("t2"))
	require.NoError(t, f.s.TokenCreate(f.ctx, store.ConfirmationToken{TokenHash: h1[:], SubscriptionID: sub.ID, ExpiresAt: baseTime, CreatedAt: baseTime}))
	require.NoError(t, f.s.TokenCreate(f.ctx, store.ConfirmationToken{TokenHash: h2[:], SubscriptionID: sub.ID, ExpiresAt: baseTime.Add(time.Hour), CreatedAt: baseTime}))
	tok, err := f.s.TokenGet(f.ctx, h1[:])
	require.NoError(t, err)
	require.Equal(t, sub.ID, tok.SubscriptionID)
	require.Equal(t, baseTime.Truncate(time.Microsecond), tok.ExpiresAt)

	n, err := f.s.TokenDeleteExpired(f.ctx, baseTime.Add(time.Minute))
	require.NoError(t, err)
	require.Equal(t, 1, n)
	_, err = f.s.TokenGet(f.ctx, h1[:])
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = f.s.TokenGet(f.ctx, h2[:])
	require.NoError(t, err)
}

func testEventsAndDeliveries(t *testing.T, newStore NewStore) {
	t.Run("EventIdempotency", func(t *testing.T) {
		f := newNotifyFixture(t, newStore)
		info := `{"key":"k1"}`
		p := store.EventCreateParams{AccountID: f.acct.ID, TxnID: "txn1", Subject: "CompanyAdded", Body: []byte(`{"data":{}}`),
			SourceType: 1, SourceInfo: &info, Messages: 1, Deliveries: 2, CreatedAt: baseTime}
		e, err := f.s.EventCreate(f.ctx, p)
		require.NoError(t, err)
		require.Equal(t, 2, e.Deliveries)
		_, err = f.s.EventCreate(f.ctx, p)
		require.ErrorIs(t, err, store.ErrConflict)
		got, err := f.s.EventGetByTxnID(f.ctx, f.acct.ID, "txn1")
		require.NoError(t, err)
		require.Equal(t, e, got)
		_, err = f.s.EventGetByTxnID(f.ctx, f.acct.ID, "txn2")
		require.ErrorIs(t, err, store.ErrNotFound)
	})
	t.Run("DeliveryLifecycle", func(t *testing.T) {
		f := newNotifyFixture(t, newStore)
		sub := f.subscribe(t, "arn:s1", "https://a.example/hook")
		var d *store.Delivery
		err := f.s.InTx(f.ctx, func(q store.Queries) error {
			var err error
			d, err = q.DeliveryCreate(f.ctx, store.DeliveryCreateParams{SubscriptionID: sub.ID, MessageID: "m1",
				MessageType: "SubscriptionConfirmation", Body: []byte("{}"), CreatedAt: baseTime})
			return err
		})
		require.NoError(t, err)
		require.Equal(t, store.DeliveryPending, d.Status)
		require.Nil(t, d.EventID)

		d, err = f.s.DeliveryRecordAttempt(f.ctx, store.DeliveryAttemptParams{ID: d.ID, Status: store.DeliveryPending, Error: "HTTP 500", At: baseTime})
		require.NoError(t, err)
		require.Equal(t, 1, d.Attempts)
		require.Equal(t, "HTTP 500", d.LastError)
		require.Nil(t, d.CompletedAt)

		d, err = f.s.DeliveryRecordAttempt(f.ctx, store.DeliveryAttemptParams{ID: d.ID, Status: store.DeliveryDelivered, At: baseTime})
		require.NoError(t, err)
		require.Equal(t, 2, d.Attempts)
		require.Equal(t, store.DeliveryDelivered, d.Status)
		require.NotNil(t, d.CompletedAt)
		require.Equal(t, "HTTP 500", d.LastError, "the last error is kept for the record")

		got, err := f.s.DeliveryGet(f.ctx, d.ID)
		require.NoError(t, err)
		require.Equal(t, d, got)
	})
	t.Run("DeliveryRolledBackWithTransaction", func(t *testing.T) {
		f := newNotifyFixture(t, newStore)
		sub := f.subscribe(t, "arn:s1", "https://a.example/hook")
		var id int64
		err := f.s.InTx(f.ctx, func(q store.Queries) error {
			d, err := q.DeliveryCreate(f.ctx, store.DeliveryCreateParams{SubscriptionID: sub.ID, MessageID: "m1",
				MessageType: "Notification", Body: []byte("{}"), CreatedAt: baseTime})
			require.NoError(t, err)
			id = d.ID
			return context.Canceled
		})
		require.ErrorIs(t, err, context.Canceled)
		_, err = f.s.DeliveryGet(f.ctx, id)
		require.ErrorIs(t, err, store.ErrNotFound)
	})
}
