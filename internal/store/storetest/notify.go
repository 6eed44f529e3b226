package storetest

import (
	"context"
	"crypto/sha256"
	"fmt"
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

// recordGet records an attempt and returns the delivery as stored after it.
func (f *notifyFixture) recordGet(t *testing.T, p store.DeliveryAttemptParams) *store.Delivery {
	t.Helper()
	require.NoError(t, f.s.DeliveryRecordAttempt(f.ctx, p))
	d, err := f.s.DeliveryGet(f.ctx, p.ID)
	require.NoError(t, err)
	return d
}

// deliver creates a pending delivery to sub.
func (f *notifyFixture) deliver(t *testing.T, sub *store.Subscription) *store.Delivery {
	t.Helper()
	d, err := f.s.DeliveryCreate(f.ctx, store.DeliveryCreateParams{SubscriptionID: sub.ID, MessageID: "m1",
		MessageType: "Notification", Body: []byte("{}"), CreatedAt: baseTime})
	require.NoError(t, err)
	got, err := f.s.DeliveryGet(f.ctx, d.ID)
	require.NoError(t, err)
	require.Equal(t, got, d, "the returned row is the stored one")
	return d
}

func testPausesAndPolicies(t *testing.T, newStore NewStore) {
	f := newNotifyFixture(t, newStore)
	sub := f.subscribe(t, "arn:s1", "https://a.example/hook")
	require.False(t, sub.Paused)
	require.Nil(t, sub.DeliveryPolicy)

	sub, err := f.s.SubscriptionSetPaused(f.ctx, sub.ID, true)
	require.NoError(t, err)
	require.True(t, sub.Paused)
	sub, err = f.s.SubscriptionSetPolicy(f.ctx, sub.ID, []byte(`{"throttlePolicy":{"maxReceivesPerSecond":1}}`))
	require.NoError(t, err)
	require.JSONEq(t, `{"throttlePolicy":{"maxReceivesPerSecond":1}}`, string(sub.DeliveryPolicy))

	a, err := f.s.AccountSetPolicy(f.ctx, f.acct.ID, []byte(`{"healthyRetryPolicy":null}`))
	require.NoError(t, err)
	require.NotNil(t, a.DeliveryPolicy)
	sub, err = f.s.SubscriptionGet(f.ctx, sub.ID)
	require.NoError(t, err)
	require.JSONEq(t, `{"healthyRetryPolicy":null}`, string(sub.AccountDeliveryPolicy), "the account's policy is joined in")

	sub, err = f.s.SubscriptionSetPolicy(f.ctx, sub.ID, nil)
	require.NoError(t, err)
	require.Nil(t, sub.DeliveryPolicy)
	sub, err = f.s.SubscriptionSetPaused(f.ctx, sub.ID, false)
	require.NoError(t, err)
	require.False(t, sub.Paused)
	_, err = f.s.SubscriptionSetPaused(f.ctx, 999, true)
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = f.s.AccountSetPolicy(f.ctx, 999, nil)
	require.ErrorIs(t, err, store.ErrNotFound)
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

		taken, err := f.s.EventTxnIDsTaken(f.ctx, f.acct.ID, []string{"txn2", "txn1", "txn1", `it's "quoted"`})
		require.NoError(t, err)
		require.Equal(t, map[string]bool{"txn1": true}, taken)
		other, err := f.s.AccountCreate(f.ctx, store.AccountCreateParams{Name: "Other", CreatedAt: baseTime})
		require.NoError(t, err)
		taken, err = f.s.EventTxnIDsTaken(f.ctx, other.ID, []string{"txn1"})
		require.NoError(t, err)
		require.Empty(t, taken, "another account's TxnIDs are its own")
		taken, err = f.s.EventTxnIDsTaken(f.ctx, f.acct.ID, nil)
		require.NoError(t, err)
		require.Empty(t, taken)
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

		d = f.recordGet(t, store.DeliveryAttemptParams{ID: d.ID, Status: store.DeliveryPending, Error: "HTTP 500", At: baseTime,
			Attempt: &store.Attempt{StartedAt: baseTime, Duration: 1500 * time.Microsecond, StatusCode: 500, Outcome: "retry", Error: "HTTP 500", ResponseExcerpt: []byte("oops")}})
		require.Equal(t, 1, d.Attempts)
		require.Equal(t, "HTTP 500", d.LastError)
		require.Nil(t, d.CompletedAt)

		d = f.recordGet(t, store.DeliveryAttemptParams{ID: d.ID, Status: store.DeliveryDelivered, At: baseTime,
			Attempt: &store.Attempt{StartedAt: baseTime.Add(time.Second), Duration: time.Millisecond, StatusCode: 200, Outcome: "delivered"}})
		require.Equal(t, 2, d.Attempts)
		require.Equal(t, store.DeliveryDelivered, d.Status)
		require.NotNil(t, d.CompletedAt)
		require.Equal(t, "HTTP 500", d.LastError, "the last error is kept for the record")

		require.Equal(t, []byte("{}"), d.Body, "the body is the one created")

		attempts, err := f.s.DeliveryAttemptList(f.ctx, d.ID)
		require.NoError(t, err)
		require.Len(t, attempts, 2)
		require.Equal(t, 1, attempts[0].Number)
		require.Equal(t, 500, attempts[0].StatusCode)
		require.Equal(t, "retry", attempts[0].Outcome)
		require.Equal(t, 1500*time.Microsecond, attempts[0].Duration)
		require.Equal(t, []byte("oops"), attempts[0].ResponseExcerpt)
		require.Equal(t, 2, attempts[1].Number)
		require.Empty(t, attempts[1].Error)
		require.Equal(t, sub.ID, attempts[1].SubscriptionID)
	})
	t.Run("CancelWithoutAttemptIsNotCounted", func(t *testing.T) {
		f := newNotifyFixture(t, newStore)
		d := f.deliver(t, f.subscribe(t, "arn:s1", "https://a.example/hook"))
		d = f.recordGet(t, store.DeliveryAttemptParams{ID: d.ID, Status: store.DeliveryCancelled, At: baseTime})
		require.Zero(t, d.Attempts)
		require.NotNil(t, d.CompletedAt)
	})
	t.Run("RecordOfMissingDeliveryChangesNothing", func(t *testing.T) {
		f := newNotifyFixture(t, newStore)
		d := f.deliver(t, f.subscribe(t, "arn:s1", "https://a.example/hook"))
		for _, held := range []bool{false, true} {
			err := f.s.DeliveryRecordAttempt(f.ctx, store.DeliveryAttemptParams{ID: d.ID + 1000, Status: store.DeliveryDelivered, At: baseTime,
				Attempt: &store.Attempt{StartedAt: baseTime, StatusCode: 200, Outcome: "delivered"}, Held: held})
			require.ErrorIs(t, err, store.ErrNotFound, "held: %v", held)
		}
		attempts, err := f.s.DeliveryAttemptList(f.ctx, d.ID+1000)
		require.NoError(t, err)
		require.Empty(t, attempts)
		got, err := f.s.DeliveryGet(f.ctx, d.ID)
		require.NoError(t, err)
		require.Equal(t, d, got, "another delivery is left alone")
	})
	t.Run("DeadLetterAndRedrive", func(t *testing.T) {
		f := newNotifyFixture(t, newStore)
		sub := f.subscribe(t, "arn:s1", "https://a.example/hook")
		d := f.deliver(t, sub)
		_, err := f.s.DeliveryRedrive(f.ctx, d.ID, baseTime)
		require.ErrorIs(t, err, store.ErrConflict, "only dead letters are redriven")

		dead := f.recordGet(t, store.DeliveryAttemptParams{ID: d.ID, Status: store.DeliveryDead, Error: "HTTP 404", At: baseTime,
			Attempt: &store.Attempt{StartedAt: baseTime, StatusCode: 404, Outcome: "fail", Error: "HTTP 404"}})
		require.Equal(t, store.DeliveryDead, dead.Status)
		require.NotNil(t, dead.DeadAt)
		require.Nil(t, dead.CompletedAt)

		st, err := f.s.DeliveryStats(f.ctx)
		require.NoError(t, err)
		require.Equal(t, int64(1), st.Dead)
		require.Zero(t, st.Pending)

		again, err := f.s.DeliveryRedrive(f.ctx, d.ID, baseTime.Add(time.Hour))
		require.NoError(t, err)
		require.NotEqual(t, d.ID, again.ID)
		require.Equal(t, store.DeliveryPending, again.Status)
		require.Equal(t, d.MessageID, again.MessageID)
		require.Equal(t, d.Body, again.Body)
		require.Equal(t, d.ID, *again.RedrivenFrom)
		require.Zero(t, again.Attempts)

		old, err := f.s.DeliveryGet(f.ctx, d.ID)
		require.NoError(t, err)
		require.Equal(t, store.DeliveryRedriven, old.Status)
		_, err = f.s.DeliveryRedrive(f.ctx, d.ID, baseTime)
		require.ErrorIs(t, err, store.ErrConflict, "a dead letter is redriven once")
		_, err = f.s.DeliveryRedrive(f.ctx, 9999, baseTime)
		require.ErrorIs(t, err, store.ErrNotFound)
	})
	t.Run("ListAndStats", func(t *testing.T) {
		f := newNotifyFixture(t, newStore)
		s1 := f.subscribe(t, "arn:s1", "https://a.example/1")
		s2 := f.subscribe(t, "arn:s2", "https://a.example/2")
		var ids []int64
		for _, sub := range []*store.Subscription{s1, s2, s1} {
			ids = append(ids, f.deliver(t, sub).ID)
		}
		err := f.s.DeliveryRecordAttempt(f.ctx, store.DeliveryAttemptParams{ID: ids[0], Status: store.DeliveryDead, At: baseTime})
		require.NoError(t, err)

		all, err := f.s.DeliveryList(f.ctx, store.DeliveryListParams{Limit: 10})
		require.NoError(t, err)
		require.Len(t, all, 3)
		require.Equal(t, ids[2], all[0].ID, "newest first")
		require.Nil(t, all[0].Body, "lists leave bodies out")
		require.Equal(t, 2, all[0].BodySize)

		bySub, err := f.s.DeliveryList(f.ctx, store.DeliveryListParams{SubscriptionID: s1.ID, Limit: 10})
		require.NoError(t, err)
		require.Len(t, bySub, 2)
		dead, err := f.s.DeliveryList(f.ctx, store.DeliveryListParams{Status: store.DeliveryDead, AccountID: f.acct.ID, Limit: 10})
		require.NoError(t, err)
		require.Len(t, dead, 1)
		page, err := f.s.DeliveryList(f.ctx, store.DeliveryListParams{BeforeID: ids[2], Limit: 1})
		require.NoError(t, err)
		require.Equal(t, ids[1], page[0].ID)
		later := baseTime.Add(time.Minute)
		none, err := f.s.DeliveryList(f.ctx, store.DeliveryListParams{CreatedAfter: &later, Limit: 10})
		require.NoError(t, err)
		require.Empty(t, none)

		st, err := f.s.DeliveryStats(f.ctx)
		require.NoError(t, err)
		require.Equal(t, int64(2), st.Pending)
		require.Equal(t, int64(1), st.Dead)
		require.Equal(t, baseTime.Truncate(time.Microsecond), *st.OldestPending)
	})
	t.Run("AttemptRetention", func(t *testing.T) {
		f := newNotifyFixture(t, newStore)
		d := f.deliver(t, f.subscribe(t, "arn:s1", "https://a.example/hook"))
		for _, at := range []time.Time{baseTime.Add(-48 * time.Hour), baseTime} {
			err := f.s.DeliveryRecordAttempt(f.ctx, store.DeliveryAttemptParams{ID: d.ID, Status: store.DeliveryPending, At: at,
				Attempt: &store.Attempt{StartedAt: at, Outcome: "retry"}})
			require.NoError(t, err)
		}
		n, err := f.s.AttemptDeleteBefore(f.ctx, baseTime.Add(-24*time.Hour))
		require.NoError(t, err)
		require.Equal(t, 1, n)
		left, err := f.s.DeliveryAttemptList(f.ctx, d.ID)
		require.NoError(t, err)
		require.Len(t, left, 1)
	})
	t.Run("DeliveryCreateMany", func(t *testing.T) {
		f := newNotifyFixture(t, newStore)
		s1 := f.subscribe(t, "arn:s1", "https://a.example/hook")
		s2 := f.subscribe(t, "arn:s2", "https://b.example/hook")
		var ps []store.DeliveryCreateParams
		e, err := f.s.EventCreate(f.ctx, store.EventCreateParams{AccountID: f.acct.ID, TxnID: "t1", Subject: "CompanyAdded",
			Body: []byte(`{}`), SourceType: 1, Messages: 1, Deliveries: 3, CreatedAt: baseTime})
		require.NoError(t, err)
		for i, sub := range []*store.Subscription{s1, s2, s1} {
			// A time finer than the store keeps: the returned row must
			// say what was stored, not what was asked.
			at := baseTime.Add(time.Duration(i)*time.Second + 1500*time.Nanosecond)
			ps = append(ps, store.DeliveryCreateParams{SubscriptionID: sub.ID, EventID: &e.ID, MessageID: fmt.Sprint("m", i),
				MessageType: "Notification", Body: []byte(fmt.Sprint(`{"n":`, i, `}`)), CreatedAt: at})
		}
		ds, err := f.s.DeliveryCreateMany(f.ctx, ps)
		require.NoError(t, err)
		require.Len(t, ds, 3)
		for i, d := range ds {
			got, err := f.s.DeliveryGet(f.ctx, d.ID)
			require.NoError(t, err)
			require.Equal(t, ps[i].SubscriptionID, got.SubscriptionID, "in the order given")
			require.Equal(t, ps[i].MessageID, got.MessageID)
			require.Equal(t, ps[i].Body, got.Body)
			require.Equal(t, store.DeliveryPending, got.Status)
			require.Equal(t, got, d, "the returned row is the stored one")
		}
		none, err := f.s.DeliveryCreateMany(f.ctx, nil)
		require.NoError(t, err)
		require.Empty(t, none)

		ps[1].SubscriptionID = 999_999 // no such subscription: nothing of the call is stored
		before, err := f.s.DeliveryList(f.ctx, store.DeliveryListParams{Limit: 100})
		require.NoError(t, err)
		_, err = f.s.DeliveryCreateMany(f.ctx, ps)
		require.Error(t, err)
		after, err := f.s.DeliveryList(f.ctx, store.DeliveryListParams{Limit: 100})
		require.NoError(t, err)
		require.Len(t, after, len(before))
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
