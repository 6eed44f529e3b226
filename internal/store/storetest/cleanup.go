package storetest

import (
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// byOperator is the reason the cleanup cases cancel with.
const byOperator = "subscription deleted by the operator"

// status returns d's stored status.
func (f *notifyFixture) status(t *testing.T, d *store.Delivery) *store.Delivery {
	t.Helper()
	got, err := f.s.DeliveryGet(f.ctx, d.ID)
	require.NoError(t, err)
	return got
}

// finish records a final status of d without an attempt.
func (f *notifyFixture) finish(t *testing.T, d *store.Delivery, status store.DeliveryStatus) {
	t.Helper()
	require.NoError(t, f.s.DeliveryRecordAttempt(f.ctx, store.DeliveryAttemptParams{ID: d.ID, Status: status, At: baseTime}))
}

func testCleanup(t *testing.T, newStore NewStore) {
	t.Run("DeleteCancelsPendingDeliveries", func(t *testing.T) {
		f := newNotifyFixture(t, newStore)
		sub := f.subscribe(t, "arn:s1", "https://a.example/hook")
		other := f.subscribe(t, "arn:s2", "https://b.example/hook")
		pending, delivered, dead, others := f.deliver(t, sub), f.deliver(t, sub), f.deliver(t, sub), f.deliver(t, other)
		f.finish(t, delivered, store.DeliveryDelivered)
		f.finish(t, dead, store.DeliveryDead)
		hash := sha256.Sum256([]byte("token"))
		require.NoError(t, f.s.TokenCreate(f.ctx, store.ConfirmationToken{TokenHash: hash[:], SubscriptionID: sub.ID,
			ExpiresAt: baseTime.Add(time.Hour), CreatedAt: baseTime}))
		_, err := f.s.SubscriptionGet(f.ctx, sub.ID) // a cached read, on a backend that caches
		require.NoError(t, err)

		at := baseTime.Add(time.Minute)
		got, n, err := f.s.SubscriptionDelete(f.ctx, sub.ID, byOperator, at)
		require.NoError(t, err)
		require.Equal(t, 1, n, "only the pending delivery is cancelled")
		require.Equal(t, store.SubscriptionDeleted, got.Status)
		require.Equal(t, at.Truncate(time.Microsecond), *got.DeletedAt)
		again, err := f.s.SubscriptionGet(f.ctx, sub.ID)
		require.NoError(t, err)
		require.Equal(t, got, again, "a read after the delete sees it")

		c := f.status(t, pending)
		require.Equal(t, store.DeliveryCancelled, c.Status)
		require.Equal(t, byOperator, c.LastError)
		require.Equal(t, at.Truncate(time.Microsecond), *c.CompletedAt)
		require.Nil(t, c.DeadAt, "cancelled, not dead-lettered")
		require.Equal(t, store.DeliveryDelivered, f.status(t, delivered).Status)
		require.Equal(t, store.DeliveryDead, f.status(t, dead).Status)
		require.Equal(t, store.DeliveryPending, f.status(t, others).Status, "another subscription's delivery is left alone")
		_, err = f.s.TokenGet(f.ctx, hash[:])
		require.ErrorIs(t, err, store.ErrNotFound, "its tokens no longer confirm it")
		_, err = f.s.SubscriptionGetLive(f.ctx, f.topic.ID, "https://a.example/hook")
		require.ErrorIs(t, err, store.ErrNotFound)
		st, err := f.s.DeliveryStats(f.ctx)
		require.NoError(t, err)
		require.Equal(t, int64(1), st.Pending)
		require.Equal(t, int64(1), st.Dead)
	})
	t.Run("DeleteConfirmedThenAgain", func(t *testing.T) {
		f := newNotifyFixture(t, newStore)
		sub := f.subscribe(t, "arn:s1", "https://a.example/hook")
		_, err := f.s.SubscriptionSetStatus(f.ctx, sub.ID, store.SubscriptionConfirmed, baseTime)
		require.NoError(t, err)
		confirmed, err := f.s.SubscriptionListConfirmed(f.ctx, f.topic.ID)
		require.NoError(t, err)
		require.Len(t, confirmed, 1)

		first, n, err := f.s.SubscriptionDelete(f.ctx, sub.ID, byOperator, baseTime.Add(time.Minute))
		require.NoError(t, err)
		require.Zero(t, n)
		confirmed, err = f.s.SubscriptionListConfirmed(f.ctx, f.topic.ID)
		require.NoError(t, err)
		require.Empty(t, confirmed, "a deleted subscription gets no more notifications")

		d := f.deliver(t, sub) // e.g. an UnsubscribeConfirmation still being sent
		second, n, err := f.s.SubscriptionDelete(f.ctx, sub.ID, byOperator, baseTime.Add(time.Hour))
		require.NoError(t, err)
		require.Equal(t, 1, n)
		require.Equal(t, *first.DeletedAt, *second.DeletedAt, "deleting again keeps the first time")
		require.Equal(t, store.DeliveryCancelled, f.status(t, d).Status)
	})
	t.Run("DeleteMissing", func(t *testing.T) {
		f := newNotifyFixture(t, newStore)
		_, _, err := f.s.SubscriptionDelete(f.ctx, 999, byOperator, baseTime)
		require.ErrorIs(t, err, store.ErrNotFound)
	})
	t.Run("DeleteRolledBackWithTransaction", func(t *testing.T) {
		f := newNotifyFixture(t, newStore)
		sub := f.subscribe(t, "arn:s1", "https://a.example/hook")
		d := f.deliver(t, sub)
		boom := errors.New("boom")
		var n int
		var delErr error
		err := f.s.InTx(f.ctx, func(q store.Queries) error {
			_, n, delErr = q.SubscriptionDelete(f.ctx, sub.ID, byOperator, baseTime)
			return boom
		})
		require.ErrorIs(t, err, boom)
		require.NoError(t, delErr)
		require.Equal(t, 1, n)
		got, err := f.s.SubscriptionGet(f.ctx, sub.ID)
		require.NoError(t, err)
		require.Equal(t, store.SubscriptionPending, got.Status)
		require.Equal(t, store.DeliveryPending, f.status(t, d).Status)
	})
	t.Run("CancelOne", func(t *testing.T) {
		f := newNotifyFixture(t, newStore)
		sub := f.subscribe(t, "arn:s1", "https://a.example/hook")
		d, delivered := f.deliver(t, sub), f.deliver(t, sub)
		f.finish(t, delivered, store.DeliveryDelivered)
		got, err := f.s.DeliveryCancel(f.ctx, d.ID, "cancelled by the operator", baseTime)
		require.NoError(t, err)
		require.Equal(t, store.DeliveryCancelled, got.Status)
		require.Equal(t, "cancelled by the operator", got.LastError)
		require.Equal(t, got, f.status(t, d))
		_, err = f.s.DeliveryCancel(f.ctx, d.ID, "again", baseTime)
		require.ErrorIs(t, err, store.ErrConflict, "a cancelled delivery is not pending")
		_, err = f.s.DeliveryCancel(f.ctx, delivered.ID, "late", baseTime)
		require.ErrorIs(t, err, store.ErrConflict)
		require.Equal(t, store.DeliveryDelivered, f.status(t, delivered).Status)
		_, err = f.s.DeliveryCancel(f.ctx, 9999, "none", baseTime)
		require.ErrorIs(t, err, store.ErrNotFound)
		sub2, err := f.s.SubscriptionGet(f.ctx, sub.ID)
		require.NoError(t, err)
		require.Equal(t, store.SubscriptionPending, sub2.Status, "the subscription is left alone")
	})
	t.Run("AttemptInFlightDoesNotResurrect", func(t *testing.T) {
		f := newNotifyFixture(t, newStore)
		sub := f.subscribe(t, "arn:s1", "https://a.example/hook")
		for _, status := range []store.DeliveryStatus{store.DeliveryPending, store.DeliveryDelivered, store.DeliveryDead} {
			d := f.deliver(t, sub)
			_, err := f.s.DeliveryCancel(f.ctx, d.ID, "cancelled by the operator", baseTime)
			require.NoError(t, err)
			err = f.s.DeliveryRecordAttempt(f.ctx, store.DeliveryAttemptParams{ID: d.ID, Status: status, Error: "HTTP 500", At: baseTime,
				Attempt: &store.Attempt{StartedAt: baseTime, StatusCode: 500, Outcome: "retry", Error: "HTTP 500"}})
			require.ErrorIs(t, err, store.ErrConflict, status)
			got := f.status(t, d)
			require.Equal(t, store.DeliveryCancelled, got.Status, "%s: the cancel stands", status)
			require.Equal(t, "cancelled by the operator", got.LastError)
			require.Nil(t, got.DeadAt)
			require.Equal(t, 1, got.Attempts, "the attempt that went out is counted")
			attempts, err := f.s.DeliveryAttemptList(f.ctx, d.ID)
			require.NoError(t, err)
			require.Len(t, attempts, 1, "and logged")
		}
	})
}

// testCleanupHolds: the operator's cancels of held deliveries (a direct
// send's) enqueue nothing, and the direct send's late record neither
// revives them nor enqueues a retry.
func testCleanupHolds(t *testing.T, newStore NewStore, jobs Jobs) {
	t.Run("CancelledHoldsQueueNothing", func(t *testing.T) {
		f := newNotifyFixture(t, newStore)
		sub := f.subscribe(t, "arn:s1", "https://a.example/hook")
		ds, until := f.createHeld(t, sub, true, true, true)
		_, err := f.s.DeliveryCancel(f.ctx, ds[2].ID, "cancelled by the operator", time.Now())
		require.NoError(t, err)
		_, n, err := f.s.SubscriptionDelete(f.ctx, sub.ID, byOperator, time.Now())
		require.NoError(t, err)
		require.Equal(t, 2, n)

		require.NoError(t, f.s.DeliveryReleaseHeld(f.ctx, ds[0].ID, time.Now()), "a direct send that hands it back")
		require.Zero(t, f.releaseEnded(t, until.Add(time.Second), 10), "no hold is left to end")
		now := time.Now()
		err = f.s.DeliveryRecordAttempt(f.ctx, store.DeliveryAttemptParams{ID: ds[1].ID, Status: store.DeliveryPending, At: now,
			Attempt: &store.Attempt{StartedAt: now, Outcome: "retry"}, Held: true, RetryAt: now})
		require.ErrorIs(t, err, store.ErrConflict, "a direct send in flight")
		for _, d := range ds {
			require.Equal(t, store.DeliveryCancelled, f.status(t, d).Status)
			require.Empty(t, jobs.ForDelivery(t, f.s, d.ID), "delivery %d has no job", d.ID)
		}
		require.Equal(t, 1, f.status(t, ds[1]).Attempts)
	})
}
