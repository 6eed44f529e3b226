package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// Job is a delivery's queue job, as RunHolds sees it.
type Job struct {
	ID          int64
	State       string // River's job state: "available", "scheduled", "running"...
	ScheduledAt time.Time
}

// Jobs lets RunHolds read a backend's queue jobs, which store.Store does
// not expose. s is a store the suite's NewStore built.
type Jobs interface {
	// ForDelivery returns the delivery's jobs (kind "deliver", args
	// deliveryId), by ID.
	ForDelivery(t *testing.T, s store.Store, deliveryID int64) []Job
}

// RunHolds runs, as subtests of "Holds", the cases of deliveries held for
// a direct send (store.DeliveryCreateParams.HoldUntil): how they are
// created, lifted by the attempt's record, released, and handed to the
// queue when the hold ends.
func RunHolds(t *testing.T, newStore NewStore, jobs Jobs) {
	t.Run("Holds", func(t *testing.T) { testHolds(t, newStore, jobs) })
	t.Run("CleanupHolds", func(t *testing.T) { testCleanupHolds(t, newStore, jobs) })
}

// holdFor is how long the cases hold a delivery.
const holdFor = 45 * time.Second

// createHeld creates one delivery to sub per entry of held, held for
// holdFor when the entry is true, and returns them with the hold's end.
func (f *notifyFixture) createHeld(t *testing.T, sub *store.Subscription, held ...bool) ([]*store.Delivery, time.Time) {
	t.Helper()
	until := time.Now().Add(holdFor)
	ds, err := f.s.DeliveryCreateMany(f.ctx, heldParams(sub, until, held))
	require.NoError(t, err)
	require.Len(t, ds, len(held))
	return ds, until
}

func heldParams(sub *store.Subscription, until time.Time, held []bool) []store.DeliveryCreateParams {
	ps := make([]store.DeliveryCreateParams, len(held))
	for i, h := range held {
		ps[i] = store.DeliveryCreateParams{SubscriptionID: sub.ID, MessageID: "m", MessageType: "Notification",
			Body: []byte("{}"), CreatedAt: baseTime}
		if h {
			ps[i].HoldUntil = until
		}
	}
	return ps
}

// record records a direct send's attempt of d with status.
func (f *notifyFixture) record(t *testing.T, d *store.Delivery, status store.DeliveryStatus, retryAt time.Time) *store.Delivery {
	t.Helper()
	now := time.Now()
	return f.recordGet(t, store.DeliveryAttemptParams{ID: d.ID, Status: status, At: now,
		Attempt: &store.Attempt{StartedAt: now, Outcome: "direct"}, Held: true, RetryAt: retryAt})
}

// releaseEnded hands the holds that ended before before to the queue, up
// to limit, and returns how many.
func (f *notifyFixture) releaseEnded(t *testing.T, before time.Time, limit int) int {
	t.Helper()
	n, err := f.s.DeliveryReleaseExpiredHolds(f.ctx, before, limit)
	require.NoError(t, err)
	return n
}

func testHolds(t *testing.T, newStore NewStore, jobs Jobs) {
	setup := func(t *testing.T) (*notifyFixture, *store.Subscription) {
		f := newNotifyFixture(t, newStore)
		return f, f.subscribe(t, "arn:s1", "https://a.example/hook")
	}
	one := func(t *testing.T, f *notifyFixture, d *store.Delivery) Job {
		t.Helper()
		js := jobs.ForDelivery(t, f.s, d.ID)
		require.Len(t, js, 1, "delivery %d has one job", d.ID)
		return js[0]
	}
	never := time.Now().Add(24 * time.Hour) // after every hold of a case

	t.Run("CreateManyHoldsSome", func(t *testing.T) {
		f, sub := setup(t)
		ds, until := f.createHeld(t, sub, true, false, true)
		for _, d := range []*store.Delivery{ds[0], ds[2]} {
			require.Equal(t, until, d.HeldUntil)
			require.Empty(t, jobs.ForDelivery(t, f.s, d.ID), "a held delivery has no job")
		}
		require.True(t, ds[1].HeldUntil.IsZero())
		require.Equal(t, "available", one(t, f, ds[1]).State)
		got, err := f.s.DeliveryGet(f.ctx, ds[0].ID)
		require.NoError(t, err)
		require.True(t, got.HeldUntil.IsZero(), "only DeliveryCreateMany reports the hold")
	})
	t.Run("CreateOneIsNeverHeld", func(t *testing.T) {
		f, sub := setup(t)
		d, err := f.s.DeliveryCreate(f.ctx, heldParams(sub, time.Now().Add(holdFor), []bool{true})[0])
		require.NoError(t, err)
		require.Equal(t, "available", one(t, f, d).State)
		require.Zero(t, f.releaseEnded(t, never, 10))
	})
	t.Run("FinalRecordLiftsHold", func(t *testing.T) {
		f, sub := setup(t)
		ds, _ := f.createHeld(t, sub, true, true, true)
		for i, status := range []store.DeliveryStatus{store.DeliveryDelivered, store.DeliveryDead, store.DeliveryCancelled} {
			d := f.record(t, ds[i], status, time.Time{})
			require.Equal(t, status, d.Status)
			require.Equal(t, 1, d.Attempts)
			require.Empty(t, jobs.ForDelivery(t, f.s, d.ID), status)
		}
		require.Zero(t, f.releaseEnded(t, never, 10), "no hold left")
	})
	t.Run("PendingQueuesAtRetryAt", func(t *testing.T) {
		f, sub := setup(t)
		ds, _ := f.createHeld(t, sub, true)
		retryAt := time.Now().Add(time.Hour)
		d := f.record(t, ds[0], store.DeliveryPending, retryAt)
		require.Equal(t, store.DeliveryPending, d.Status)
		require.Equal(t, 1, d.Attempts)
		j := one(t, f, d)
		require.Equal(t, "scheduled", j.State)
		require.WithinDuration(t, retryAt, j.ScheduledAt, time.Second)
		require.Zero(t, f.releaseEnded(t, never, 10), "no hold left")
	})
	t.Run("ShortRetryIsAvailableAtItsTime", func(t *testing.T) {
		// A retry due sooner than River's scheduler looks is made
		// available at once, keeping its time, as River does for a short
		// snooze: otherwise it could wait up to 5 s for the scheduler.
		f, sub := setup(t)
		ds, _ := f.createHeld(t, sub, true)
		retryAt := time.Now().Add(2 * time.Second)
		d := f.record(t, ds[0], store.DeliveryPending, retryAt)
		j := one(t, f, d)
		require.Equal(t, "available", j.State)
		require.WithinDuration(t, retryAt, j.ScheduledAt, time.Second, "the fetch still waits for its time")
	})
	t.Run("EndedHoldsGoToTheQueue", func(t *testing.T) {
		f, sub := setup(t)
		ds, until := f.createHeld(t, sub, true, true, true, false)
		require.Zero(t, f.releaseEnded(t, until.Add(-time.Second), 10), "no hold has ended")
		require.Equal(t, 2, f.releaseEnded(t, until.Add(time.Second), 2), "at most limit")
		require.Equal(t, 1, f.releaseEnded(t, until.Add(time.Second), 2))
		require.Zero(t, f.releaseEnded(t, never, 2))
		for _, d := range ds {
			require.Equal(t, "available", one(t, f, d).State)
		}
	})
	t.Run("EndedHoldOfFinishedDeliveryQueuesNothing", func(t *testing.T) {
		// A delivery finished without lifting its hold (recorded by the
		// queue's worker after a takeover, say) needs no job.
		f, sub := setup(t)
		ds, until := f.createHeld(t, sub, true)
		err := f.s.DeliveryRecordAttempt(f.ctx, store.DeliveryAttemptParams{ID: ds[0].ID, Status: store.DeliveryDelivered, At: time.Now()})
		require.NoError(t, err)
		require.Equal(t, 1, f.releaseEnded(t, until.Add(time.Second), 10), "the hold is lifted")
		require.Empty(t, jobs.ForDelivery(t, f.s, ds[0].ID))
	})
	t.Run("LateRecordLeavesDeliveryToTheQueue", func(t *testing.T) {
		f, sub := setup(t)
		ds, until := f.createHeld(t, sub, true, true)
		require.Equal(t, 2, f.releaseEnded(t, until.Add(time.Second), 10))
		queued := []Job{one(t, f, ds[0]), one(t, f, ds[1])}
		for i, status := range []store.DeliveryStatus{store.DeliveryPending, store.DeliveryDelivered} {
			d := f.record(t, ds[i], status, time.Now().Add(time.Hour))
			require.Equal(t, 1, d.Attempts, "the attempt is logged")
			require.Equal(t, queued[i], one(t, f, d), "%s: no retry job beside the queue's", status)
		}
	})
	t.Run("ReleaseQueuesAtItsTime", func(t *testing.T) {
		f, sub := setup(t)
		ds, _ := f.createHeld(t, sub, true, true, true)
		require.NoError(t, f.s.DeliveryReleaseHeld(f.ctx, ds[0].ID, time.Now()))
		j := one(t, f, ds[0])
		require.Equal(t, "available", j.State)
		require.LessOrEqual(t, j.ScheduledAt, time.Now().Add(time.Second))
		require.Empty(t, jobs.ForDelivery(t, f.s, ds[1].ID), "only that delivery's")

		later := time.Now().Add(time.Hour)
		require.NoError(t, f.s.DeliveryReleaseHeld(f.ctx, ds[1].ID, later))
		j = one(t, f, ds[1])
		require.Equal(t, "scheduled", j.State, "a wait like a snooze's")
		require.WithinDuration(t, later, j.ScheduledAt, time.Second)

		require.NoError(t, f.s.DeliveryReleaseHeld(f.ctx, ds[0].ID, time.Now()), "a hold lifted is no error")
		require.Len(t, jobs.ForDelivery(t, f.s, ds[0].ID), 1, "and adds no job")
		require.Equal(t, 1, f.releaseEnded(t, never, 10), "the third is still held")
	})
	t.Run("RolledBackWithTransaction", func(t *testing.T) {
		f, sub := setup(t)
		boom := errors.New("boom")
		var ds []*store.Delivery
		var createErr error
		// No require inside fn: a backend may run it on a goroutine of its
		// own, which t.FailNow must not end.
		err := f.s.InTx(f.ctx, func(q store.Queries) error {
			ds, createErr = q.DeliveryCreateMany(f.ctx, heldParams(sub, time.Now().Add(holdFor), []bool{true, false, true}))
			return boom
		})
		require.ErrorIs(t, err, boom)
		require.NoError(t, createErr)
		require.Len(t, ds, 3)
		require.False(t, ds[0].HeldUntil.IsZero())
		for _, d := range ds {
			_, err := f.s.DeliveryGet(f.ctx, d.ID)
			require.ErrorIs(t, err, store.ErrNotFound)
			require.Empty(t, jobs.ForDelivery(t, f.s, d.ID))
		}
		require.Zero(t, f.releaseEnded(t, never, 10))
	})
}
