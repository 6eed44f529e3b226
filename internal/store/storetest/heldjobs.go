package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// Job is a delivery's queue job, as RunHeldJobs sees it.
type Job struct {
	ID          int64
	State       string // River's job state: "available", "scheduled", "running"...
	ScheduledAt time.Time
	Held        bool // tagged deliveryjobs.TagHeld
}

// Jobs lets RunHeldJobs read and change a backend's queue jobs, which
// store.Store does not expose. s is a store the suite's NewStore built.
type Jobs interface {
	// ForDelivery returns the delivery's jobs (kind "deliver", args
	// deliveryId), by ID.
	ForDelivery(t *testing.T, s store.Store, deliveryID int64) []Job
	// SetRunning marks a job as taken over by the queue's worker.
	SetRunning(t *testing.T, s store.Store, jobID int64)
}

// RunHeldJobs runs, as subtests of "HeldJobs", the cases of jobs held for
// a direct send (store.DeliveryCreateParams.HoldUntil): how they are
// created, settled by the attempt's record, and released.
func RunHeldJobs(t *testing.T, newStore NewStore, jobs Jobs) {
	t.Run("HeldJobs", func(t *testing.T) { testHeldJobs(t, newStore, jobs) })
}

// createHeld creates one delivery to sub per entry of held, its job held
// for 45 s when the entry is true, and returns them with HoldUntil.
func (f *notifyFixture) createHeld(t *testing.T, sub *store.Subscription, held ...bool) ([]*store.Delivery, time.Time) {
	t.Helper()
	until := time.Now().Add(45 * time.Second)
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
	got, err := f.s.DeliveryRecordAttempt(f.ctx, store.DeliveryAttemptParams{ID: d.ID, Status: status, At: now,
		Attempt: &store.Attempt{StartedAt: now, Outcome: "direct"}, HeldJobID: d.HeldJobID, RetryAt: retryAt})
	require.NoError(t, err)
	return got
}

func testHeldJobs(t *testing.T, newStore NewStore, jobs Jobs) {
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

	t.Run("CreateManyHoldsSome", func(t *testing.T) {
		f, sub := setup(t)
		ds, until := f.createHeld(t, sub, true, false, true)
		require.NotZero(t, ds[0].HeldJobID)
		require.NotZero(t, ds[2].HeldJobID)
		require.NotEqual(t, ds[0].HeldJobID, ds[2].HeldJobID)
		require.Zero(t, ds[1].HeldJobID, "a ready job is not reported")
		for _, d := range []*store.Delivery{ds[0], ds[2]} {
			j := one(t, f, d)
			require.Equal(t, d.HeldJobID, j.ID, "HeldJobID is this delivery's job")
			require.Equal(t, "scheduled", j.State)
			require.True(t, j.Held)
			require.WithinDuration(t, until, j.ScheduledAt, time.Second)
		}
		j := one(t, f, ds[1])
		require.Equal(t, "available", j.State)
		require.False(t, j.Held)
	})
	t.Run("DeliveredDeletesHeldJob", func(t *testing.T) {
		f, sub := setup(t)
		ds, _ := f.createHeld(t, sub, true)
		d := f.record(t, ds[0], store.DeliveryDelivered, time.Time{})
		require.Equal(t, store.DeliveryDelivered, d.Status)
		require.Equal(t, 1, d.Attempts)
		require.Empty(t, jobs.ForDelivery(t, f.s, d.ID))
	})
	t.Run("PendingReschedulesAtRetryAt", func(t *testing.T) {
		f, sub := setup(t)
		ds, _ := f.createHeld(t, sub, true)
		retryAt := time.Now().Add(time.Hour)
		d := f.record(t, ds[0], store.DeliveryPending, retryAt)
		require.Equal(t, store.DeliveryPending, d.Status)
		require.Equal(t, 1, d.Attempts)
		j := one(t, f, d)
		require.NotEqual(t, ds[0].HeldJobID, j.ID, "the held job is gone")
		require.Equal(t, "scheduled", j.State)
		require.False(t, j.Held, "the retry is an ordinary job")
		require.WithinDuration(t, retryAt, j.ScheduledAt, time.Second)
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
	t.Run("RunningJobLeftToQueue", func(t *testing.T) {
		f, sub := setup(t)
		ds, _ := f.createHeld(t, sub, true, true)
		for i, status := range []store.DeliveryStatus{store.DeliveryPending, store.DeliveryDelivered} {
			jobs.SetRunning(t, f.s, ds[i].HeldJobID)
			d := f.record(t, ds[i], status, time.Now().Add(time.Hour))
			require.Equal(t, 1, d.Attempts)
			j := one(t, f, d)
			require.Equal(t, ds[i].HeldJobID, j.ID, "%s: no retry job beside the queue's", status)
			require.Equal(t, "running", j.State)
		}
	})
	t.Run("ReleaseQueuesAtItsTime", func(t *testing.T) {
		f, sub := setup(t)
		ds, _ := f.createHeld(t, sub, true, true, true)
		require.NoError(t, f.s.DeliveryReleaseHeld(f.ctx, ds[0].ID, ds[0].HeldJobID, time.Now()))
		j := one(t, f, ds[0])
		require.NotEqual(t, ds[0].HeldJobID, j.ID, "the held job is replaced")
		require.False(t, j.Held)
		require.Equal(t, "available", j.State)
		require.LessOrEqual(t, j.ScheduledAt, time.Now().Add(time.Second))
		require.Equal(t, "scheduled", one(t, f, ds[1]).State, "only that delivery's job")

		later := time.Now().Add(time.Hour)
		require.NoError(t, f.s.DeliveryReleaseHeld(f.ctx, ds[1].ID, ds[1].HeldJobID, later))
		j = one(t, f, ds[1])
		require.Equal(t, "scheduled", j.State, "a wait like a snooze's")
		require.False(t, j.Held)
		require.WithinDuration(t, later, j.ScheduledAt, time.Second)

		require.NoError(t, f.s.DeliveryReleaseHeld(f.ctx, ds[0].ID, ds[0].HeldJobID, time.Now()), "a job gone is no error")
		require.Len(t, jobs.ForDelivery(t, f.s, ds[0].ID), 1, "and adds none")

		jobs.SetRunning(t, f.s, ds[2].HeldJobID)
		require.NoError(t, f.s.DeliveryReleaseHeld(f.ctx, ds[2].ID, ds[2].HeldJobID, time.Now()), "a job running is no error")
		j = one(t, f, ds[2])
		require.Equal(t, ds[2].HeldJobID, j.ID, "left to the queue")
		require.Equal(t, "running", j.State)
	})
	t.Run("RolledBackWithTransaction", func(t *testing.T) {
		f, sub := setup(t)
		boom := errors.New("boom")
		var ds []*store.Delivery
		var createErr error
		// No require inside fn: a backend may run it on a goroutine of its
		// own, which t.FailNow must not end.
		err := f.s.InTx(f.ctx, func(q store.Queries) error {
			ds, createErr = q.DeliveryCreateMany(f.ctx, heldParams(sub, time.Now().Add(45*time.Second), []bool{true, false, true}))
			return boom
		})
		require.ErrorIs(t, err, boom)
		require.NoError(t, createErr)
		require.Len(t, ds, 3)
		require.NotZero(t, ds[0].HeldJobID)
		for _, d := range ds {
			_, err := f.s.DeliveryGet(f.ctx, d.ID)
			require.ErrorIs(t, err, store.ErrNotFound)
			require.Empty(t, jobs.ForDelivery(t, f.s, d.ID))
		}
	})
}
